import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { PageQueryDto } from '../../../platform/http/pagination/pagination.js';
import { IsQuantity } from '../../../platform/http/validation/quantity.js';
import { IsOmittable } from '../../../platform/http/validation/optional.js';

const UOM = /^[A-Za-z0-9_.-]{1,20}$/;

export class ItemUomDto {
  @ApiProperty({ example: 'case' })
  @Matches(UOM, { message: 'code must be 1-20 letters, digits, _ . or -' })
  code!: string;

  @ApiProperty({ example: '12', description: 'Base units per one `code` (number or decimal string)' })
  @IsQuantity()
  factor!: string;
}

export class CreateItemDto {
  @ApiProperty({ example: 'S1' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  sku!: string;

  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;

  @ApiProperty({ example: 'ea' })
  @Matches(UOM, { message: 'baseUom must be 1-20 letters, digits, _ . or -' })
  baseUom!: string;

  @ApiPropertyOptional({ type: [ItemUomDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => ItemUomDto)
  uoms?: ItemUomDto[];

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  lotTracked?: boolean;

  @ApiPropertyOptional({
    enum: ['deny', 'allow'],
    nullable: true,
    description: "null: follow the tenant's setting",
  })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsIn(['deny', 'allow'])
  negativeStock?: 'deny' | 'allow' | null;
}

/** sku, baseUom and lotTracked cannot change once the item has stock history (409). */
export class UpdateItemDto {
  @ApiPropertyOptional()
  @IsOmittable()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  sku?: string;

  @ApiPropertyOptional()
  @IsOmittable()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(UOM)
  baseUom?: string;

  @ApiPropertyOptional({ type: [ItemUomDto], description: 'Replaces the units as a whole' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => ItemUomDto)
  uoms?: ItemUomDto[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  lotTracked?: boolean;

  @ApiPropertyOptional({ enum: ['deny', 'allow'], nullable: true })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsIn(['deny', 'allow'])
  negativeStock?: 'deny' | 'allow' | null;
}

export class ItemQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Matches sku and name (case-insensitive substring)' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  search?: string;

  @ApiPropertyOptional({ description: 'true: archived items only; default: active items only' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  archived?: boolean;
}

export class ItemView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() sku!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty() baseUom!: string;
  @ApiProperty({ type: [ItemUomDto] }) uoms!: ItemUomDto[];
  @ApiProperty() lotTracked!: boolean;
  @ApiProperty({ enum: ['deny', 'allow'], nullable: true }) negativeStock!: 'deny' | 'allow' | null;
  @ApiProperty() archived!: boolean;
  @ApiProperty({ nullable: true, type: String }) archivedAt!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}
