import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { RequirePermissions } from '../../platform/access/access.decorators.js';
import { PageOf } from '../../platform/http/pagination/page-view.js';
import { type Page, PageQueryDto } from '../../platform/http/pagination/pagination.js';
import { idempotencyKeyOf, sendSqlAnswer } from '../../platform/http/idempotency/sql-answer.js';
import { SingleStatement } from '../../platform/tenancy/tenant-transaction.interceptor.js';
import {
  BalanceQueryDto,
  BalanceView,
  LedgerQueryDto,
  MovementQueryDto,
  OnHandView,
} from './dto/inventory-query.dto.js';
import { CreateMovementDto, LedgerEntryView, MovementView } from './dto/movement.dto.js';
import { InventoryQueries } from './inventory-queries.service.js';
import { MovementsService } from './movements.service.js';

@ApiTags('inventory')
@Controller('api/inventory')
export class InventoryController {
  constructor(
    private readonly movementsService: MovementsService,
    private readonly queries: InventoryQueries,
  ) {}

  @Post('movements')
  @HttpCode(201)
  @RequirePermissions('inventory:write')
  @SingleStatement()
  @ApiOperation({
    summary: 'Post a movement: all lines or none; adjustments also need inventory:adjust',
    description:
      'Quantities convert to the base unit exactly. A balance that would go below zero where the policy is ' +
      '`deny` rejects the whole movement with 409 insufficient-stock. With an Idempotency-Key, a retry with the ' +
      'same body returns the first response (header Idempotent-Replayed: true); another body is 422; while the ' +
      'first is still running, 409.',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: '1-255 characters; kept for 24 h' })
  @ApiConflictResponse({ description: 'insufficient-stock, or idempotency-in-flight' })
  @ApiUnprocessableEntityResponse({ description: 'idempotency-key-reused' })
  @ApiCreatedResponse({ type: MovementView })
  async post(
    @Body() body: CreateMovementDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<MovementView> {
    const result = await this.movementsService.post(body, idempotencyKeyOf(idempotencyKey), {
      method: request.method,
      route: '/api/inventory/movements',
      ip: request.ip,
    });
    return sendSqlAnswer(response, result);
  }

  @Get('movements')
  @RequirePermissions('inventory:read')
  @ApiOperation({ summary: 'List movements (without their lines), oldest first' })
  @ApiOkResponse({ type: PageOf(MovementView) })
  movements(@Query() query: MovementQueryDto): Promise<Page<MovementView>> {
    return this.queries.movements(query);
  }

  @Get('movements/:id')
  @RequirePermissions('inventory:read')
  @ApiOperation({ summary: 'A movement with its ledger entries' })
  @ApiOkResponse({ type: MovementView })
  movement(@Param('id', ParseUUIDPipe) id: string): Promise<MovementView> {
    return this.queries.movement(id);
  }

  @Get('ledger')
  @RequirePermissions('inventory:read')
  @ApiOperation({ summary: 'Ledger entries in posting order' })
  @ApiOkResponse({ type: PageOf(LedgerEntryView) })
  ledger(@Query() query: LedgerQueryDto): Promise<Page<LedgerEntryView>> {
    return this.queries.ledger(query);
  }

  @Get('balances')
  @RequirePermissions('inventory:read')
  @ApiOperation({ summary: 'Balances per item, location and lot; asOf computes them from the ledger' })
  @ApiOkResponse({ type: PageOf(BalanceView) })
  balances(@Query() query: BalanceQueryDto): Promise<Page<BalanceView>> {
    return this.queries.balances(query);
  }

  @Get()
  @RequirePermissions('inventory:read')
  @ApiOperation({ summary: 'On-hand summary per active item with its quantity per location' })
  @ApiOkResponse({ type: PageOf(OnHandView) })
  onHand(@Query() query: PageQueryDto): Promise<Page<OnHandView>> {
    return this.queries.onHand(query);
  }
}
