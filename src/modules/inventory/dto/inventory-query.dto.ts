import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDateString, IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../../platform/http/pagination/pagination.js';
import { MOVEMENT_TYPES } from './movement.dto.js';

export class MovementQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: MOVEMENT_TYPES })
  @IsOptional()
  @IsIn(MOVEMENT_TYPES)
  type?: string;

  @ApiPropertyOptional({ description: 'occurredAt >= from (ISO-8601)' })
  @IsOptional()
  @IsDateString({ strict: true })
  from?: string;

  @ApiPropertyOptional({ description: 'occurredAt < to (ISO-8601)' })
  @IsOptional()
  @IsDateString({ strict: true })
  to?: string;
}

export class LedgerQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() itemId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() locationId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) lotCode?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() movementId?: string;
  @ApiPropertyOptional({ description: 'occurredAt >= from' })
  @IsOptional()
  @IsDateString({ strict: true })
  from?: string;
  @ApiPropertyOptional({ description: 'occurredAt < to' })
  @IsOptional()
  @IsDateString({ strict: true })
  to?: string;
}

export class BalanceQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() itemId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() locationId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) lotCode?: string;

  @ApiPropertyOptional({
    description: 'Balances as of this time, computed from the ledger (occurredAt <= asOf)',
  })
  @IsOptional()
  @IsDateString({ strict: true })
  asOf?: string;
}

export class BalanceView {
  @ApiProperty({ format: 'uuid' }) itemId!: string;
  @ApiProperty({ format: 'uuid' }) locationId!: string;
  @ApiProperty({ nullable: true, type: String }) lotCode!: string | null;
  @ApiProperty({ example: '12.5' }) qty!: string;
  @ApiProperty({
    example: '2',
    nullable: true,
    type: String,
    description:
      'Open quantity of active reservations of this key: of the lot for a lot; of the location for an item ' +
      'without lots. Reservations of a lot-tracked item without a lot count per location (GET /api/inventory, ' +
      '/api/inventory/availability), not per lot. null with asOf (reservations have no history here)',
  })
  reserved!: string | null;
  @ApiProperty({
    example: '10.5',
    nullable: true,
    type: String,
    description: 'qty - reserved; null with asOf',
  })
  available!: string | null;
  @ApiProperty() updatedAt!: string;
  @ApiProperty() lastLedgerId!: string;
}

export class OnHandLocationView {
  @ApiProperty({ format: 'uuid' }) locationId!: string;
  @ApiProperty({ description: 'On hand at the location (every lot)' }) qty!: string;
  @ApiProperty({ description: 'Open quantity of active, unexpired reservations at the location' })
  reserved!: string;
  @ApiProperty({ description: 'qty - reserved' }) available!: string;
}

export class OnHandView {
  @ApiProperty({ format: 'uuid' }) itemId!: string;
  @ApiProperty() sku!: string;
  @ApiProperty() name!: string;
  @ApiProperty() baseUom!: string;
  @ApiProperty() onHand!: string;
  @ApiProperty() reserved!: string;
  @ApiProperty({ description: 'onHand - reserved' }) available!: string;
  @ApiProperty({ type: [OnHandLocationView] }) locations!: OnHandLocationView[];
}
