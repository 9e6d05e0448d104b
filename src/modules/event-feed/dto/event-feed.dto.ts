import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsInt, IsOptional, IsString, Max, MaxLength, Min, ValidateBy } from 'class-validator';
import { EVENT_TYPES, type EventType } from '../../../platform/outbox/event-types.js';

/**
 * The types the feed carries: every event the webhooks carry except webhook.test, one endpoint's ping (the
 * trigger outbox_events_feed leaves it out).
 */
export const FEED_EVENT_TYPES = (Object.keys(EVENT_TYPES) as EventType[]).filter(
  (type) => EVENT_TYPES[type].subscribable && type !== 'webhook.test',
);

export const FEED_DEFAULT_LIMIT = 100;
export const FEED_MAX_LIMIT = 1000;
export const FEED_MAX_WAIT_S = 30;

/** `GET /api/events?after=&types=&limit=&wait=` */
export class EventFeedQueryDto {
  @ApiPropertyOptional({
    description: 'nextCursor of the previous answer; without it the feed starts at its oldest kept event',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  after?: string;

  @ApiPropertyOptional({
    type: String,
    description: 'Comma-separated event types; only these are returned (the cursor still moves past others)',
    example: 'movement.posted,reservation.created',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.split(',').map((type) => type.trim()) : value,
  )
  // Not IsIn: the OpenAPI plugin would describe the comma-separated string as an array of that enum.
  @ValidateBy(
    {
      name: 'isFeedEventType',
      validator: {
        validate: (value: unknown) => FEED_EVENT_TYPES.includes(value as EventType),
        defaultMessage: () => `each of types must be one of ${FEED_EVENT_TYPES.join(', ')}`,
      },
    },
    { each: true },
  )
  @ArrayMaxSize(FEED_EVENT_TYPES.length)
  types?: string[];

  @ApiPropertyOptional({ minimum: 1, maximum: FEED_MAX_LIMIT, default: FEED_DEFAULT_LIMIT })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(FEED_MAX_LIMIT)
  limit: number = FEED_DEFAULT_LIMIT;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: FEED_MAX_WAIT_S,
    default: 0,
    description:
      'Seconds to wait when nothing is after the cursor: the answer comes as soon as an event commits',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(FEED_MAX_WAIT_S)
  wait: number = 0;
}

export class FeedEventView {
  @ApiProperty({ format: 'uuid', description: 'The event id: the webhook-id of its webhook deliveries' })
  id!: string;

  @ApiProperty({ enum: FEED_EVENT_TYPES })
  type!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The payload, as in the webhook' })
  data!: Record<string, unknown>;
}

export class EventFeedPageView {
  @ApiProperty({ type: [FeedEventView] })
  data!: FeedEventView[];

  @ApiProperty({
    description: 'Where to continue: pass it as `after` (also when `data` is empty); never null',
  })
  nextCursor!: string;
}
