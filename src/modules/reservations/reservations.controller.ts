import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { RequirePermissions } from '../../platform/access/access.decorators.js';
import { PageOf } from '../../platform/http/pagination/page-view.js';
import type { Page } from '../../platform/http/pagination/pagination.js';
import { idempotencyKeyOf, sendSqlAnswer } from '../../platform/http/idempotency/sql-answer.js';
import { SingleStatement } from '../../platform/tenancy/tenant-transaction.interceptor.js';
import {
  ChangeReservationDto,
  CreateReservationDto,
  ReleaseReservationDto,
  ReservationQueryDto,
  ReservationView,
} from './dto/reservation.dto.js';
import { ReservationsService } from './reservations.service.js';

@ApiTags('reservations')
@Controller('api/inventory/reservations')
export class ReservationsController {
  constructor(private readonly reservations: ReservationsService) {}

  @Post()
  @HttpCode(201)
  @RequirePermissions('inventory:write')
  @SingleStatement()
  @ApiOperation({
    summary: 'Reserve stock for an order: all lines or none',
    description:
      'Quantities convert to the base unit exactly. Under the `deny` policy the lines on each key (item, ' +
      'location, lot) together must fit its available (on hand - reserved), else 409 insufficient-available ' +
      'and nothing is reserved; under `allow` a reservation may exceed on hand (a backorder). A lot-tracked ' +
      'item may be reserved by lot or at the location from any lot. With an Idempotency-Key, a retry with the ' +
      'same body returns the first response (header Idempotent-Replayed: true); another body is 422.',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: '1-255 characters; kept for 24 h' })
  @ApiConflictResponse({ description: 'insufficient-available, or idempotency-in-flight' })
  @ApiUnprocessableEntityResponse({ description: 'idempotency-key-reused' })
  @ApiCreatedResponse({ type: ReservationView })
  async create(
    @Body() body: CreateReservationDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<ReservationView> {
    const result = await this.reservations.create(body, idempotencyKeyOf(idempotencyKey), {
      method: request.method,
      route: '/api/inventory/reservations',
    });
    return sendSqlAnswer(response, result);
  }

  @Get()
  @RequirePermissions('inventory:read')
  @ApiOperation({ summary: 'List reservations, oldest first' })
  @ApiOkResponse({ type: PageOf(ReservationView) })
  list(@Query() query: ReservationQueryDto): Promise<Page<ReservationView>> {
    return this.reservations.list(query);
  }

  @Get(':id')
  @RequirePermissions('inventory:read')
  @ApiOperation({ summary: 'A reservation with its lines' })
  @ApiOkResponse({ type: ReservationView })
  @ApiNotFoundResponse({ description: 'not-found' })
  get(@Param('id', ParseUUIDPipe) id: string): Promise<ReservationView> {
    return this.reservations.get(id);
  }

  @Patch(':id')
  @RequirePermissions('inventory:write')
  @ApiOperation({ summary: 'Change when an active reservation expires (null: never)' })
  @ApiOkResponse({ type: ReservationView })
  @ApiNotFoundResponse({ description: 'not-found' })
  @ApiConflictResponse({ description: 'reservation-not-active' })
  changeExpiry(
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: ChangeReservationDto,
  ): Promise<ReservationView> {
    return this.reservations.changeExpiry(id, body);
  }

  @Post(':id/release')
  @HttpCode(200)
  @RequirePermissions('inventory:write')
  @ApiOperation({
    summary: 'Release part of an active reservation, or (no lines) everything still open',
    description:
      'A reservation with nothing left open becomes `released`, or `consumed` when any of it was consumed.',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: '1-255 characters; kept for 24 h' })
  @ApiBody({ type: ReleaseReservationDto, required: false })
  @ApiOkResponse({ type: ReservationView })
  @ApiNotFoundResponse({ description: 'not-found' })
  @ApiConflictResponse({ description: 'reservation-not-active, release-exceeds-open' })
  release(
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: ReleaseReservationDto,
  ): Promise<ReservationView> {
    return this.reservations.release(id, body);
  }
}
