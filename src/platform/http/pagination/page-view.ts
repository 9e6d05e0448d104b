import type { Type } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import type { Page } from './pagination.js';

const pageViews = new Map<Type, Type>();

/**
 * The OpenAPI model of `Page<T>` for `@ApiOkResponse({ type: PageOf(ItemView) })`: a class named after the item
 * (`ItemView` -> `ItemPage`) with `data: T[]` and `nextCursor`, one per item type. `Page<T>` is a generic
 * interface, which neither the swagger plugin nor the decorators can describe, so without this every list
 * operation of the OpenAPI document had a 200 without a schema.
 */
export function PageOf<T>(item: Type<T>): Type<Page<T>> {
  let view = pageViews.get(item) as Type<Page<T>> | undefined;
  if (!view) {
    class PageView implements Page<T> {
      data!: T[];
      nextCursor!: string | null;
    }
    ApiProperty({ type: [item] })(PageView.prototype, 'data');
    ApiProperty({
      type: String,
      nullable: true,
      description: 'Pass as ?cursor= to get the next page; null on the last page',
    })(PageView.prototype, 'nextCursor');
    Object.defineProperty(PageView, 'name', { value: `${item.name.replace(/View$/, '')}Page` });
    view = PageView;
    pageViews.set(item, view);
  }
  return view;
}
