import Fastify from 'fastify';
import { z } from 'zod';
import { DocumentSchema } from '/work/main/src/documents/document.ts';
import { DocumentResponseSchema, ProblemSchema } from '/work/main/src/documents/response.ts';
const app = Fastify({ bodyLimit: 100 });
app.removeAllContentTypeParsers();
app.addContentTypeParser(['application/json', 'application/xml'], { parseAs: 'buffer' }, (req, body, done) => done(null, { len: (body as Buffer).length, ct: req.headers['content-type'] }));
app.setErrorHandler((err: any, req, reply) => { reply.code(err.statusCode ?? 500).send({ code: err.code, msg: err.message }); });
app.post('/x', async (req) => ({ body: req.body ?? null }));
app.get('/x', async () => 'g');
for (const [ct, payload] of [[undefined, 'abc'], [undefined, ''], ['application/json; charset=utf-8', '{}'], ['Application/JSON', '{}'], ['text/plain', 'x'], ['application/json', 'x'.repeat(200)], ['application/jsonx', '{}'], ['application/problem+json', '{}']] as const) {
  const r = await app.inject({ method: 'POST', url: '/x', headers: ct ? { 'content-type': ct } : {}, payload });
  console.log(ct, JSON.stringify(payload).slice(0, 10), r.statusCode, r.body);
}
const r = await app.inject({ method: 'DELETE', url: '/x' });
console.log('DELETE', r.statusCode, r.body);
const reg = z.registry<{ id: string }>();
reg.add(DocumentSchema, { id: 'Document' });
reg.add(DocumentResponseSchema, { id: 'DocumentResponse' });
reg.add(ProblemSchema, { id: 'Problem' });
const out = z.toJSONSchema(reg, { uri: (id) => `#/components/schemas/${id}`, io: 'input' });
console.log(JSON.stringify(out).slice(0, 1500));
console.log(Object.keys(out.schemas));
