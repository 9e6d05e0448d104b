import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { PageQueryDto } from '../../../platform/http/pagination/pagination.js';

export class CreateWebhookDto {
  @ApiProperty({ example: 'ERP' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;

  @ApiProperty({ example: 'https://erp.example.com/hooks/inventory' })
  @IsString()
  @MaxLength(2000)
  url!: string;

  @ApiProperty({ type: [String], example: ['movement.posted'], description: 'Event types, or ["*"] for all' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ArrayUnique()
  @IsString({ each: true })
  events!: string[];

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Extra request headers',
  })
  @IsOptional()
  @IsObject()
  headers?: Record<string, string>;

  @ApiPropertyOptional({ minimum: 0, maximum: 10, default: 3 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10)
  retryCount?: number;

  @ApiPropertyOptional({ minimum: 100, maximum: 30000, default: 10000 })
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(30000)
  timeoutMs?: number;
}

export class UpdateWebhookDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(100) name?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2000) url?: string;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ArrayUnique()
  @IsString({ each: true })
  events?: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  @IsOptional()
  @IsObject()
  headers?: Record<string, string>;

  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) @Max(10) retryCount?: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(100) @Max(30000) timeoutMs?: number;

  @ApiPropertyOptional({ enum: ['active', 'disabled'] })
  @IsOptional()
  @IsIn(['active', 'disabled'])
  status?: 'active' | 'disabled';
}

export class DeliveryQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ['pending', 'success', 'failed', 'dlq'] })
  @IsOptional()
  @IsIn(['pending', 'success', 'failed', 'dlq'])
  status?: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) eventType?: string;
}

export class WebhookView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ type: [String] }) events!: string[];
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) headers!: Record<string, string>;
  @ApiProperty() retryCount!: number;
  @ApiProperty() timeoutMs!: number;
  @ApiProperty({ enum: ['active', 'disabled'] }) status!: string;
  @ApiProperty({ nullable: true, type: String }) lastSuccessAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastFailureAt!: string | null;
  @ApiProperty() failureCount!: number;
  @ApiProperty() createdAt!: string;
}

export class WebhookWithSecretView extends WebhookView {
  @ApiProperty({ description: 'whsec_…: shown in this response only' }) secret!: string;
}

export class DeliveryView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) eventId!: string;
  @ApiProperty() eventType!: string;
  @ApiProperty({ enum: ['pending', 'success', 'failed', 'dlq'] }) status!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ nullable: true, type: Number }) httpStatus!: number | null;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty({ nullable: true, type: String }) nextRetryAt!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ nullable: true, type: String }) completedAt!: string | null;
}

/** GET /api/webhooks/events: one entry of the event catalog. */
export class WebhookEventTypeView {
  @ApiProperty({ example: 'movement.posted' }) type!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'An example of the event’s data' })
  example!: Record<string, unknown>;
}

/** POST /api/webhooks/:id/test. */
export class WebhookTestView {
  @ApiProperty({ format: 'uuid', description: 'The webhook.test event queued for this endpoint' })
  eventId!: string;
}

/** POST /api/webhooks/:id/deliveries/:deliveryId/retry and .../replay-dlq. */
export class RequeuedView {
  @ApiProperty({ description: 'Deliveries queued for another attempt' }) requeued!: number;
}
