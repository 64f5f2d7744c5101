// A queue worker in Node.js, no framework: the worker runtime beside it POSTs each SQS message
// to /work (body: the message body; headers: X-Aws-Sqsd-*, as Elastic Beanstalk's sqsd sends)
// and deletes the message when the answer is 2xx.
//
//   200                    done: the message is deleted
//   503 with Retry-After   try again after that many seconds
//   422 with X-Sqs-Scale-To-Zero-Dead-Letter: <reason>
//                          never processable: to the dead-letter queue at once, no retries
//   anything else          failed: retried with backoff, dead-lettered after max_receive_count
//
// Try it alone: PORT=8080 node server.js, then
//   curl -X POST localhost:8080/work -H 'Content-Type: application/json' \
//        -d '{"order_id": 7, "work_seconds": 1}'
"use strict";

const http = require("node:http");

const PORT = Number(process.env.PORT || 8080);
const WORK_PATH = "/work"; // HttpDelivery(path=...) in app.py
const HEALTH_PATH = "/health"; // HttpDelivery(health_path=...) in app.py

function log(fields) {
  console.log(JSON.stringify({ time: new Date().toISOString(), ...fields }));
}

function work(request, body) {
  let order;
  try {
    order = JSON.parse(body);
  } catch {
    return Promise.resolve([422, "not JSON", { "X-Sqs-Scale-To-Zero-Dead-Letter": "not JSON" }]);
  }
  if (order.downstream === "busy") {
    return Promise.resolve([503, "downstream busy", { "Retry-After": "30" }]);
  }
  const seconds = Number(order.work_seconds || 0);
  return new Promise((resolve) =>
    setTimeout(() => {
      log({
        processed: order.order_id,
        message_id: request.headers["x-aws-sqsd-msgid"],
        receive_count: request.headers["x-aws-sqsd-receive-count"],
      });
      resolve([200, "done"]);
    }, seconds * 1000),
  );
}

const server = http.createServer((request, response) => {
  if (request.method === "GET" && request.url === HEALTH_PATH) {
    response.writeHead(200).end("ok");
    return;
  }
  if (request.method !== "POST" || request.url !== WORK_PATH) {
    response.writeHead(404).end();
    return;
  }
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    work(request, Buffer.concat(chunks).toString("utf8")).then(([status, text, headers]) => {
      response.writeHead(status, { "Content-Type": "text/plain", ...headers }).end(text);
    });
  });
});

// ECS stops the runtime first (it depends on this container), so by the time SIGTERM arrives
// here every request has been answered: close the server and exit 0.
process.on("SIGTERM", () => {
  log({ event: "SIGTERM: closing" });
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});

server.listen(PORT, () => log({ event: `listening on ${PORT}` }));
