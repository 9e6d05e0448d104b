import type { Type } from '@nestjs/common';

/** Every entity class, listed explicitly (see migrations.ts for why not a glob). */
export const entities: Type[] = [];
