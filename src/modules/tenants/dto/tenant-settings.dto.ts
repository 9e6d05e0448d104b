import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

export class TenantLimitsDto {
  @ApiPropertyOptional({ minimum: 0, description: 'Most items the tenant may have (unarchived)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100_000_000)
  maxItems?: number;

  @ApiPropertyOptional({ minimum: 0, description: 'Most users the tenant may have (not erased)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  maxUsers?: number;

  @ApiPropertyOptional({ minimum: 0, description: 'Most locations the tenant may have (unarchived)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  maxLocations?: number;
}

/** `settings` of a tenant (docs/api-contract.md, "Platform administration"). Replaced as a whole on PATCH. */
export class TenantSettingsDto {
  @ApiPropertyOptional({ type: [String], description: 'Enabled feature flags' })
  @IsOptional()
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  @ArrayMaxSize(200)
  features?: string[];

  @ApiPropertyOptional({ type: TenantLimitsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => TenantLimitsDto)
  limits?: TenantLimitsDto;

  @ApiPropertyOptional({ enum: ['deny', 'allow'], default: 'deny' })
  @IsOptional()
  @IsIn(['deny', 'allow'])
  negativeStock?: 'deny' | 'allow';

  @ApiPropertyOptional({ description: 'Subdomain label served for this tenant' })
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9-]{0,62}$/)
  subdomain?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  branding?: Record<string, unknown>;
}
