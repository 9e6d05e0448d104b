import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { PageQueryDto } from '../../../platform/http/pagination/pagination.js';
import { IsOmittable } from '../../../platform/http/validation/optional.js';

export class CreateLocationDto {
  @ApiProperty({ example: 'Berlin' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  site!: string;

  @ApiProperty({ example: 'A-01-03' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;

  @ApiPropertyOptional({ description: 'Unique per tenant when set' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(50)
  code?: string;

  @ApiPropertyOptional({ example: 'bin' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(50)
  type?: string;
}

export class UpdateLocationDto {
  @ApiPropertyOptional()
  @IsOmittable()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  site?: string;

  @ApiPropertyOptional()
  @IsOmittable()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name?: string;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsString()
  @MinLength(1)
  @MaxLength(50)
  code?: string | null;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsString()
  @MinLength(1)
  @MaxLength(50)
  type?: string | null;
}

export class LocationQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Matches site, name and code (case-insensitive substring)' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  search?: string;

  @ApiPropertyOptional({ description: 'true: archived locations only; default: active ones only' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  archived?: boolean;
}

export class LocationView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() site!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String }) code!: string | null;
  @ApiProperty({ nullable: true, type: String }) type!: string | null;
  @ApiProperty() archived!: boolean;
  @ApiProperty({ nullable: true, type: String }) archivedAt!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}
