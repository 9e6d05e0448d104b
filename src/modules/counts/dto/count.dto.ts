import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { IsQuantity } from '../../../platform/http/validation/quantity.js';
import { MovementView } from '../../inventory/index.js';

export const MAX_COUNT_LINES_PER_REQUEST = 10_000;

export class CreateCountDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'Scope: these locations (empty: all)' })
  @IsOptional()
  @IsArray()
  @IsUUID('all', { each: true })
  @ArrayUnique()
  @ArrayMaxSize(10_000)
  locationIds?: string[];

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'Scope: these items (empty: all)' })
  @IsOptional()
  @IsArray()
  @IsUUID('all', { each: true })
  @ArrayUnique()
  @ArrayMaxSize(10_000)
  itemIds?: string[];

  @ApiPropertyOptional({
    default: false,
    description: 'Hide expected quantities from users without counts:approve',
  })
  @IsOptional()
  @IsBoolean()
  blind?: boolean;
}

export class CountLineInputDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID() itemId!: string;
  @ApiProperty({ format: 'uuid' }) @IsUUID() locationId!: string;

  @ApiPropertyOptional({ description: 'Required for lot-tracked items, refused for others' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  lotCode?: string;

  @ApiProperty({ example: '7', description: 'What is physically there (>= 0, at most 6 decimals)' })
  @IsQuantity()
  countedQty!: string;
}

export class PutCountLinesDto {
  @ApiProperty({ type: [CountLineInputDto], maxItems: MAX_COUNT_LINES_PER_REQUEST })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_COUNT_LINES_PER_REQUEST)
  @ValidateNested({ each: true })
  @Type(() => CountLineInputDto)
  lines!: CountLineInputDto[];
}

export class ApproveCountDto {
  @ApiPropertyOptional({
    default: false,
    description: 'Treat lines nobody counted as counted 0 (default: not adjusted)',
  })
  @IsOptional()
  @IsBoolean()
  zeroUncounted?: boolean;
}

export class CountLineView {
  @ApiProperty({ format: 'uuid' }) itemId!: string;
  @ApiProperty({ format: 'uuid' }) locationId!: string;
  @ApiProperty({ nullable: true, type: String }) lotCode!: string | null;
  @ApiProperty({ description: 'Part of the snapshot taken at start (false: found stock)' })
  inSnapshot!: boolean;
  @ApiPropertyOptional({ description: 'At the snapshot; hidden on blind sheets without counts:approve' })
  expectedQty?: string;
  @ApiProperty({ nullable: true, type: String }) countedQty!: string | null;
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: 'System quantity when the line was counted',
  })
  systemQtyAtEntry?: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'countedQty - systemQtyAtEntry' })
  variance?: string | null;
  @ApiProperty({ nullable: true, type: String }) countedAt!: string | null;
}

export class CountSheetView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'CNT-000001' }) countNumber!: string;
  @ApiProperty({ nullable: true, type: String }) name!: string | null;
  @ApiProperty({ type: [String] }) locationIds!: string[];
  @ApiProperty({ type: [String] }) itemIds!: string[];
  @ApiProperty() blind!: boolean;
  @ApiProperty({ enum: ['draft', 'in_progress', 'submitted', 'posted', 'cancelled'] }) status!: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ nullable: true, type: String }) startedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) submittedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) postedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) cancelledAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) movementId!: string | null;
  @ApiPropertyOptional({ type: [CountLineView] }) lines?: CountLineView[];
}

/** POST /api/counts/:id/approve. */
export class CountApprovalView {
  @ApiProperty({ type: CountSheetView }) sheet!: CountSheetView;
  @ApiProperty({
    type: MovementView,
    nullable: true,
    description: 'The one adjustment posted for every non-zero variance; null when there was none',
  })
  movement!: MovementView | null;
}
