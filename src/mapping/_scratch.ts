import { z } from 'zod';
import { MappingSchema } from './mapping-schema.ts';
import { CustomerSchema } from './customer-schema.ts';
const s = z.toJSONSchema(MappingSchema, { io: 'input', reused: 'inline' });
console.log(JSON.stringify(s).length, Object.keys(s), Object.keys((s as any).$defs ?? {}));
console.log(JSON.stringify(z.toJSONSchema(CustomerSchema, { io: 'input', reused: 'inline' })).slice(0, 300));
