/** The runtime's ceiling: a bare node:http server that reads the body and returns a constant prediction. Usage: node serve-constant.js <port> */
import * as http from 'http';

const body = '{"predictions":[1]}';
const server = http.createServer((req, res) => {
  req.on('data', () => undefined);
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
    res.end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => process.stderr.write(`ready on http://127.0.0.1:${(server.address() as { port: number }).port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
