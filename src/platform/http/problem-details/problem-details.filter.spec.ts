import { beforeAll, describe, expect, it } from '@jest/globals';
import { BadGatewayException, HttpException, Logger, NotFoundException } from '@nestjs/common';
import type { Request } from 'express';
import { ProblemDetailsFilter } from './problem-details.filter.js';
import { DomainException } from './problem-details.js';

const request = { headers: {}, method: 'GET', originalUrl: '/api/nowhere?x=1' } as unknown as Request;
const problem = (exception: unknown) => new ProblemDetailsFilter().toProblem(exception, request);

describe('ProblemDetailsFilter', () => {
  // The 5xx cases are logged on purpose; the test output need not show them.
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it('answers a DomainException with its catalogue status and title, extensions unable to replace them', () => {
    expect(
      problem(new DomainException('user-erased', 'gone', { status: 200, type: 'x', userId: 'u1' })),
    ).toEqual(
      expect.objectContaining({ type: 'user-erased', status: 409, title: 'User erased', userId: 'u1' }),
    );
  });

  it('gives a bare HttpException the slug of its status', () => {
    expect(problem(new NotFoundException('No such thing'))).toMatchObject({
      type: 'not-found',
      status: 404,
      title: 'Not found',
      detail: 'No such thing',
    });
  });

  it('tells an unknown route from a missing record', () => {
    expect(problem(new NotFoundException('Cannot GET /api/nowhere'))).toMatchObject({
      type: 'route-not-found',
      status: 404,
      title: 'Not found',
      detail: 'No route GET /api/nowhere',
    });
  });

  it('keeps the status of an HttpException whose status has no slug of its own', () => {
    expect(problem(new HttpException('Gone for good', 410))).toMatchObject({
      type: 'error',
      status: 410,
      title: 'Client error',
      detail: 'Gone for good',
    });
    expect(problem(new BadGatewayException('upstream said no'))).toMatchObject({
      type: 'internal-error',
      status: 502,
      title: 'Internal server error',
      detail: 'The server could not handle the request',
    });
  });

  it('answers body-parser errors with their own slugs', () => {
    expect(problem({ type: 'entity.too.large', limit: 1024 })).toMatchObject({
      type: 'payload-too-large',
      status: 413,
      title: 'Payload too large',
    });
    expect(problem({ type: 'request.aborted', status: 400 })).toMatchObject({
      type: 'bad-request',
      status: 400,
    });
  });

  it('answers anything else with a 500 that quotes the request id', () => {
    const sut = problem(new Error('boom'));
    expect(sut).toMatchObject({ type: 'internal-error', status: 500, title: 'Internal server error' });
    expect(sut.detail).toContain(sut.requestId);
    expect(sut.detail).not.toContain('boom');
  });
});
