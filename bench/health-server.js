// The floor for `npm run bench:startup`: node answering GET /health, nothing else.
import http from 'node:http';

http.createServer((req, res) => res.writeHead(req.url === '/health' ? 200 : 404).end()).listen(Number(process.env.PORT), '127.0.0.1');
