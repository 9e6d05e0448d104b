import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsOptional, IsUUID, Matches } from 'class-validator';
import { IsQuantity } from '../../../platform/http/validation/quantity.js';

/** Items per lookup: a query string stays well under URL limits at 100 ids; the POST form takes 500. */
export const MAX_LOOKUP_ITEMS_GET = 100;
export const MAX_LOOKUP_ITEMS_POST = 500;

/** `a,b,c` (or a repeated parameter) to a list of trimmed ids. */
const commaList = Transform(({ value }: { value: unknown }) =>
  (Array.isArray(value) ? value : typeof value === 'string' ? [value] : [value])
    .flatMap((part: unknown) => (typeof part === 'string' ? part.split(',') : [part]))
    .map((part: unknown) => (typeof part === 'string' ? part.trim() : part))
    .filter((part: unknown) => part !== ''),
);

export class AvailabilityQueryDto {
  @ApiProperty({
    type: String,
    description: `Comma-separated item ids (uuid,uuid,...), 1-${MAX_LOOKUP_ITEMS_GET}`,
  })
  @commaList
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_LOOKUP_ITEMS_GET)
  @IsUUID('all', { each: true })
  itemIds!: string[];

  @ApiPropertyOptional({
    description: `Comma-separated location ids, up to ${MAX_LOOKUP_ITEMS_GET}; default: all`,
  })
  @IsOptional()
  @commaList
  @IsArray()
  @ArrayMaxSize(MAX_LOOKUP_ITEMS_GET)
  @IsUUID('all', { each: true })
  locationIds?: string[];
}

export class AvailabilityLookupDto {
  @ApiProperty({ type: [String], format: 'uuid', minItems: 1, maxItems: MAX_LOOKUP_ITEMS_POST })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_LOOKUP_ITEMS_POST)
  @IsUUID('all', { each: true })
  itemIds!: string[];

  @ApiPropertyOptional({ type: [String], format: 'uuid', maxItems: MAX_LOOKUP_ITEMS_POST })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_LOOKUP_ITEMS_POST)
  @IsUUID('all', { each: true })
  locationIds?: string[];
}

export class AvailabilityView {
  @ApiProperty({ format: 'uuid' }) itemId!: string;
  @ApiProperty({ format: 'uuid' }) locationId!: string;
  @ApiProperty({ example: '30', description: 'The sum of the balances at the location (every lot)' })
  onHand!: string;
  @ApiProperty({ example: '24', description: 'Open quantity of active, unexpired reservations' })
  reserved!: string;
  @ApiProperty({ example: '6', description: 'onHand - reserved' }) available!: string;
}

export class AvailabilityListView {
  @ApiProperty({ type: [AvailabilityView] }) data!: AvailabilityView[];
}

export class SetReorderPointDto {
  @ApiProperty({ example: '10', description: 'Base units, >= 0: low when available is at or below it' })
  @IsQuantity()
  @Matches(/^[^-]/, { message: 'reorderPoint must not be negative' })
  reorderPoint!: string;

  @ApiProperty({ example: '50', description: 'Base units, >= 0: how much to order when low' })
  @IsQuantity()
  @Matches(/^[^-]/, { message: 'reorderQty must not be negative' })
  reorderQty!: string;
}

export class ReorderPointView {
  @ApiProperty({ format: 'uuid' }) itemId!: string;
  @ApiProperty({ format: 'uuid' }) locationId!: string;
  @ApiProperty({ example: '10' }) reorderPoint!: string;
  @ApiProperty({ example: '50' }) reorderQty!: string;
  @ApiProperty({ example: '30' }) onHand!: string;
  @ApiProperty({ example: '24' }) reserved!: string;
  @ApiProperty({ example: '6' }) available!: string;
  @ApiProperty({ description: 'Available is at or below the reorder point' }) low!: boolean;
}

export class ReplenishmentView {
  @ApiProperty({ format: 'uuid' }) itemId!: string;
  @ApiProperty({ format: 'uuid' }) locationId!: string;
  @ApiProperty({ example: '8' }) onHand!: string;
  @ApiProperty({ example: '4' }) reserved!: string;
  @ApiProperty({ example: '4', description: 'May be below zero after a count approval' }) available!: string;
  @ApiProperty({ example: '10' }) reorderPoint!: string;
  @ApiProperty({ example: '50' }) reorderQty!: string;
  @ApiProperty({
    example: '50',
    description: 'reorderQty, or the shortfall below the reorder point when that is larger',
  })
  suggestedQty!: string;
}
