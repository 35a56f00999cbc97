import { describe, expect, it } from 'vitest';
import { renderResultJson, resultFileNames, summariseEntities } from '../../src/results/index.ts';

describe('result JSON', () => {
  const outcome = {
    fileId: 'f1',
    originalName: 'orders.csv',
    customer: 'acme',
    state: 'PARTIAL' as const,
    documents: [
      { index: 1, outcome: 'REJECTED' as const, engineStatus: 422, error: { code: 'MISSING_ITEM_FIELD', message: 'items[0].quantity is required', details: { z: 1, a: { y: 2, b: 3 } } } },
      { index: 0, orderNumber: 'SO-1', source: { unit: 'line' as const, first: 2, last: 3 }, outcome: 'ACCEPTED' as const, engineStatus: 201, created: [{ reference: 'SO-1', id: '12', type: 'ORDER' as const }], correlationId: 'f1:0' },
    ],
  };

  it('is pretty, newline-terminated, with a fixed key order and nulls for absent values (golden)', () => {
    expect(renderResultJson(outcome)).toBe(`{
  "resultVersion": 1,
  "file": {
    "id": "f1",
    "name": "orders.csv",
    "customer": "acme",
    "state": "PARTIAL",
    "testMode": false,
    "error": null
  },
  "summary": {
    "documents": 2,
    "accepted": 1,
    "rejected": 1,
    "failed": 0,
    "skipped": 0,
    "testOnly": 0
  },
  "documents": [
    {
      "index": 0,
      "source": "lines 2-3",
      "sourceRanges": {
        "unit": "line",
        "ranges": [
          {
            "first": 2,
            "last": 3
          }
        ],
        "omitted": 0
      },
      "orderNumber": "SO-1",
      "outcome": "ACCEPTED",
      "engineStatus": 201,
      "created": [
        {
          "type": "ORDER",
          "id": "12",
          "reference": "SO-1"
        }
      ],
      "updated": [],
      "removed": [],
      "error": null,
      "correlationId": "f1:0"
    },
    {
      "index": 1,
      "source": null,
      "sourceRanges": null,
      "orderNumber": "",
      "outcome": "REJECTED",
      "engineStatus": 422,
      "created": [],
      "updated": [],
      "removed": [],
      "error": {
        "code": "MISSING_ITEM_FIELD",
        "message": "items[0].quantity is required",
        "place": {
          "file": null,
          "line": null,
          "segment": null,
          "column": null,
          "element": null,
          "field": null
        },
        "details": {
          "a": {
            "b": 3,
            "y": 2
          },
          "z": 1
        }
      },
      "correlationId": null
    }
  ]
}
`);
  });

  it('does not depend on the key order of its input', () => {
    const reverseKeys = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(reverseKeys)
        : typeof value === 'object' && value !== null
          ? Object.fromEntries(Object.entries(value).reverse().map(([key, inner]) => [key, reverseKeys(inner)]))
          : value;
    const shuffled = reverseKeys(outcome) as typeof outcome;
    expect(Object.keys(shuffled)[0]).toBe('documents');
    expect(renderResultJson(shuffled)).toBe(renderResultJson(outcome));
  });
});

describe('result file names', () => {
  it('are named after the input', () => {
    expect(resultFileNames('orders.csv')).toEqual({ csv: 'orders.csv.result.csv', json: 'orders.csv.result.json', ack997: 'orders.csv.997.x12' });
  });
  it('never carry a directory from the sender', () => {
    expect(resultFileNames('../../etc/passwd').csv).toBe('passwd.result.csv');
    expect(resultFileNames('C:\\in\\asn.edi').ack997).toBe('asn.edi.997.x12');
    expect(resultFileNames('..').json).toBe('file.result.json');
    expect(resultFileNames('a\nb.csv').csv).toBe('a_b.csv.result.csv');
  });
});

describe('engine outcome to document row', () => {
  it('summarises ids by type, shipment first', () => {
    expect(
      summariseEntities([
        { type: 'ORDER_ITEM', id: '5', reference: 'L1' },
        { type: 'ORDER', id: '12', reference: 'SO-1' },
        { type: 'ORDER_ITEM', id: '6', reference: 'L2' },
      ]),
    ).toBe('ORDER 12; ORDER_ITEM 5,6');
    expect(summariseEntities([])).toBe('');
  });
});
