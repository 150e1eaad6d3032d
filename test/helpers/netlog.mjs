// Preloaded into a devenv child process (NODE_OPTIONS=--import=<this file>):
// appends every DNS lookup and every outgoing TCP connect to the file named by
// DEVENV_TEST_NETLOG, so a test can assert which hosts devenv tried to reach.
import dns from 'node:dns';
import fs from 'node:fs';
import net from 'node:net';

const file = process.env.DEVENV_TEST_NETLOG;
if (file) {
  const note = (line) => fs.appendFileSync(file, line + '\n');
  const lookup = dns.lookup;
  dns.lookup = function (host, ...rest) {
    note(`lookup ${host}`);
    return lookup.call(this, host, ...rest);
  };
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (...args) {
    const o = typeof args[0] === 'object' && args[0] !== null ? (Array.isArray(args[0]) ? args[0][0] : args[0]) : { port: args[0], host: args[1] };
    if (o && (o.host || o.port)) note(`connect ${o.host ?? 'localhost'}:${o.port}`);
    else if (o && o.path) note(`connect unix:${o.path}`);
    return connect.apply(this, args);
  };
}
