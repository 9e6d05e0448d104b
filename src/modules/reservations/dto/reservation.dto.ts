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
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { PageQueryDto } from '../../../platform/http/pagination/pagination.js';
import { IsQuantity } from '../../../platform/http/validation/quantity.js';

export const RESERVATION_STATUSES = ['active', 'released', 'consumed', 'expired'] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

/** Lines per reservation (an order's lines); a 400 names the limit. */
export const MAX_RESERVATION_LINES = 500;

export class ReservationLineDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  itemId!: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  locationId!: string;

  @ApiPropertyOptional({
    description:
      'Lot-tracked items only: reserve this lot. Without it a lot-tracked item is reserved at the location, ' +
      'from any of its lots',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  lotCode?: string;

  @ApiProperty({ example: '2', description: 'Number or decimal string, > 0, at most 6 decimals' })
  @IsQuantity()
  qty!: string;

  @ApiPropertyOptional({ example: 'case', description: "A unit of the item; default: the item's base unit" })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.-]{1,20}$/)
  uom?: string;
}

export class CreateReservationDto {
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'SO-10042', description: "The order's reference" })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  reference!: string;

  @ApiPropertyOptional({
    description: 'ISO-8601, in the future and at most 365 days ahead; default: never expires',
  })
  @IsOptional()
  @IsDateString({ strict: true })
  expiresAt?: string;

  @ApiProperty({ type: [ReservationLineDto], minItems: 1, maxItems: MAX_RESERVATION_LINES })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_RESERVATION_LINES)
  @ValidateNested({ each: true })
  @Type(() => ReservationLineDto)
  lines!: ReservationLineDto[];
}

export class ChangeReservationDto {
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'ISO-8601, in the future and at most 365 days ahead; null: never expires',
  })
  @ValidateIf((_, value) => value !== null)
  @IsDateString({ strict: true })
  expiresAt!: string | null;
}

export class ReleaseLineDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  itemId!: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  locationId!: string;

  @ApiPropertyOptional({ description: 'The lot of the reservation line; omit for a line without a lot' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  lotCode?: string;

  @ApiProperty({ example: '1', description: 'In the base unit, > 0, at most the open quantity on this key' })
  @IsQuantity()
  qty!: string;
}

export class ReleaseReservationDto {
  @ApiPropertyOptional({
    type: [ReleaseLineDto],
    maxItems: MAX_RESERVATION_LINES,
    description: 'What to release per key; omit (or send no body) to release everything still open',
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_RESERVATION_LINES)
  @ValidateNested({ each: true })
  @Type(() => ReleaseLineDto)
  lines?: ReleaseLineDto[];
}

export class ReservationQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    enum: RESERVATION_STATUSES,
    description: 'As shown: a reservation past its expiresAt is expired, whether or not the job has run',
  })
  @IsOptional()
  @IsIn(RESERVATION_STATUSES)
  status?: ReservationStatus;

  @ApiPropertyOptional({ maxLength: 200 }) @IsOptional() @IsString() @MaxLength(200) reference?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() itemId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() locationId?: string;
}

export class ReservationLineView {
  @ApiProperty({ format: 'uuid' }) itemId!: string;
  @ApiProperty({ format: 'uuid' }) locationId!: string;
  @ApiProperty({ nullable: true, type: String }) lotCode!: string | null;
  @ApiProperty({ example: '24', description: 'Reserved, in the base unit' }) qty!: string;
  @ApiProperty({ example: '0' }) consumedQty!: string;
  @ApiProperty({ example: '0' }) releasedQty!: string;
  @ApiProperty({ example: '0', description: 'Open quantity that lapsed at expiresAt' }) expiredQty!: string;
  @ApiProperty({ example: '24', description: 'qty - consumedQty - releasedQty - expiredQty' })
  openQty!: string;
}

export class ReservationView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() reference!: string;
  @ApiProperty({ enum: RESERVATION_STATUSES }) status!: ReservationStatus;
  @ApiProperty({ nullable: true, type: String }) expiresAt!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) createdBy!: string | null;
  @ApiProperty({ type: [ReservationLineView] }) lines!: ReservationLineView[];
}
