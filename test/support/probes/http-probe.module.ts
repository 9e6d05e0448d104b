import { Public } from '../../../src/platform/access/access.decorators.js';
import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Type } from 'class-transformer';
import {
  ArrayMinSize,
  IsIn,
  IsNumberString,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import type { DataSource } from 'typeorm';

class ProbeLineDto {
  @IsUUID()
  itemId!: string;

  @IsNumberString()
  qty!: string;
}

class ProbeDocumentDto {
  @IsIn(['receipt', 'issue'])
  type!: string;

  @IsOptional()
  @IsString()
  @MaxLength(10)
  reference?: string;

  @ValidateNested({ each: true })
  @ArrayMinSize(1)
  @Type(() => ProbeLineDto)
  lines!: ProbeLineDto[];
}

/**
 * Test-only routes that exercise the cross-cutting HTTP behaviour (validation, error mapping) before the
 * feature modules exist. Mounted next to AppModule by createTestApp({ imports: [HttpProbeModule] }).
 */
@Public()
@Controller('api/probe')
class HttpProbeController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Post('documents')
  create(@Body() body: ProbeDocumentDto): { lines: number } {
    return { lines: body.lines.length };
  }

  @Get('crash')
  crash(): never {
    throw new Error('secret internal detail: password=hunter2');
  }

  @Get('bad-cast')
  async badCast(): Promise<unknown> {
    return this.dataSource.query(`select 'not a number'::int`);
  }

  @Get('unique-violation')
  async uniqueViolation(): Promise<unknown> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`create temporary table probe_unique (id int primary key) on commit drop`);
      await manager.query(`insert into probe_unique values (1), (1)`);
    });
  }
}

@Module({ controllers: [HttpProbeController] })
export class HttpProbeModule {}
