// A worker app in another language, for the HTTP delivery tests and benchmark: Node.js's own
// http module, no dependencies. Run: node http_app.js [PORT]  (0 or none: any free port).
//
// It prints "listening PORT" once it accepts connections, records every request (GET
// /_requests returns them as JSON; set RECORD=0 to keep none) and answers GET /health with 200.
// A POST's JSON body can steer the answer: {"status": 503, "headers": {"Retry-After": "2"},
// "sleep_ms": 3000, "die": true, "fail_first": 1}. "fail_first": N answers 500 while the
// X-Aws-Sqsd-Receive-Count is at most N. "die" ends the process while the request is open, unless
// IGNORE_DIE=1. SLEEP_MS delays every POST's answer (the benchmark's 50 ms work).
"use strict";

const http = require("http");

const port = Number(process.argv[2] || process.env.PORT || 0);
const record = process.env.RECORD !== "0";
const ignoreDie = process.env.IGNORE_DIE === "1";
const sleepMs = Number(process.env.SLEEP_MS || 0);
const requests = [];

function steering(body) {
  try {
    const parsed = JSON.parse(body);
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : {};
  } catch (error) {
    return {};
  }
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    if (req.method === "GET" && req.url === "/_requests") {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify(requests));
      return;
    }
    if (req.method === "GET" && req.url === "/health") {
      res.writeHead(200);
      res.end("ok");
      return;
    }
    const asked = steering(body);
    if (record) {
      requests.push({
        method: req.method,
        path: req.url,
        headers: req.headers,
        body,
        at: Date.now(),
        remote_port: req.socket.remotePort,
      });
    }
    if (asked.die && !ignoreDie) {
      process.exit(3); // mid-request: the runtime sees the connection close without an answer
    }
    const receiveCount = Number(req.headers["x-aws-sqsd-receive-count"] || 0);
    const failing = receiveCount > 0 && receiveCount <= Number(asked.fail_first || 0);
    const status = failing ? 500 : asked.status || 200;
    const answer = () => {
      res.writeHead(Number(status), asked.headers || {});
      res.end("done");
    };
    const delay = Number(asked.sleep_ms || sleepMs);
    if (delay > 0) {
      setTimeout(answer, delay);
    } else {
      answer();
    }
  });
});

server.listen(port, "127.0.0.1", () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
