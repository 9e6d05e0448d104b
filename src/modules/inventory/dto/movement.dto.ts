import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsDateString,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { IsQuantity } from '../../../platform/http/validation/quantity.js';

export const MOVEMENT_TYPES = ['receipt', 'issue', 'adjustment', 'transfer'] as const;
export type MovementType = (typeof MOVEMENT_TYPES)[number];

/** Lines per movement; larger documents are split by the client (a 400 names the limit). */
export const MAX_MOVEMENT_LINES = 1000;

export class MovementLineDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  itemId!: string;

  @ApiProperty({
    format: 'uuid',
    description: 'Where stock arrives (receipt), leaves (issue, transfer) or is adjusted',
  })
  @IsUUID()
  locationId!: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Transfers only: the destination' })
  @IsOptional()
  @IsUUID()
  toLocationId?: string;

  @ApiPropertyOptional({
    description: 'Required for lot-tracked items, refused for others; created on first use',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  lotCode?: string;

  @ApiProperty({
    example: '12.5',
    description: 'Number or decimal string, at most 6 decimals; > 0 except for adjustments (signed, not 0)',
  })
  @IsQuantity()
  qty!: string;

  @ApiPropertyOptional({ example: 'case', description: "A unit of the item; default: the item's base unit" })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.-]{1,20}$/)
  uom?: string;
}

export class CreateMovementDto {
  @ApiProperty({ enum: MOVEMENT_TYPES })
  @IsIn(MOVEMENT_TYPES)
  type!: MovementType;

  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  reference?: string;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  note?: string;

  @ApiPropertyOptional({ description: 'ISO-8601; default: now' })
  @IsOptional()
  @IsDateString({ strict: true })
  occurredAt?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description:
      'Issues and transfers: the active reservation this movement fulfils. Each line uses its open quantity on ' +
      'the same key first (a line naming the lot, then one without); only the excess must fit available',
  })
  @IsOptional()
  @IsUUID()
  reservationId?: string;

  @ApiProperty({ type: [MovementLineDto], minItems: 1, maxItems: MAX_MOVEMENT_LINES })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_MOVEMENT_LINES)
  @ValidateNested({ each: true })
  @Type(() => MovementLineDto)
  lines!: MovementLineDto[];
}

export class LedgerEntryView {
  @ApiProperty({ description: 'Ledger entry id (a positive integer as a string)' }) id!: string;
  @ApiProperty({ format: 'uuid' }) movementId!: string;
  @ApiProperty({ format: 'uuid' }) itemId!: string;
  @ApiProperty({ format: 'uuid' }) locationId!: string;
  @ApiProperty({ nullable: true, type: String }) lotCode!: string | null;
  @ApiProperty({ example: '24' }) qtyBase!: string;
  @ApiProperty({ example: '2' }) qty!: string;
  @ApiProperty({ example: 'case' }) uom!: string;
  @ApiProperty({ enum: MOVEMENT_TYPES }) type!: string;
  @ApiProperty() occurredAt!: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) createdBy!: string | null;
}

export class MovementView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: MOVEMENT_TYPES }) type!: string;
  @ApiProperty({ nullable: true, type: String }) reference!: string | null;
  @ApiProperty({ nullable: true, type: String }) note!: string | null;
  @ApiProperty() occurredAt!: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) createdBy!: string | null;
  @ApiProperty() lineCount!: number;
  @ApiPropertyOptional({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'The reservation it consumed (detail and POST only)',
  })
  reservationId?: string | null;
  @ApiPropertyOptional({ type: [LedgerEntryView], description: 'Its ledger entries (detail and POST only)' })
  lines?: LedgerEntryView[];
}
