// When a stream connection is closed for saying nothing, without sockets (ManualClock): the
// first-message window, the idle window from the last complete message, holds, and stop().
import t from 'tap';
import { ManualClock } from '../../src/sip/clock.js';
import { ConnectionIdle, type WatchedConnection } from '../../src/sip/connection-idle.js';
import { DEFAULT_LIMITS } from '../../src/sip/stack-config.js';

const limits = { ...DEFAULT_LIMITS, firstMessageTimeoutMs: 5_000, tcpIdleTimeoutMs: 30_000 };

function connection(): WatchedConnection & { readonly socket: { destroyed: boolean } } {
  const socket = {
    destroyed: false,
    destroy(): void {
      socket.destroyed = true;
    },
  };
  return { socket, key: 'tcp|192.0.2.1|5060', lastMessageAt: undefined, timer: undefined };
}

t.test('an incoming connection with no complete message goes at the first-message window', async (t) => {
  const clock = new ManualClock();
  const idle = new ConnectionIdle(clock, limits);
  const conn = connection();
  idle.watchIncoming(conn);
  clock.advance(4_999);
  t.notOk(conn.socket.destroyed);
  clock.advance(1);
  t.ok(conn.socket.destroyed);
});

t.test('after a message: closed once idle for tcpIdleTimeoutMs since the last one', async (t) => {
  const clock = new ManualClock();
  const idle = new ConnectionIdle(clock, limits);
  const conn = connection();
  idle.watchIncoming(conn);
  clock.advance(1_000);
  idle.heard(conn);
  clock.advance(20_000);
  idle.heard(conn); // at 21 s: idle from here
  clock.advance(29_999);
  t.notOk(conn.socket.destroyed, 'the first-message timer was replaced and the window restarted');
  clock.advance(1);
  t.ok(conn.socket.destroyed, 'at 51 s');
});

t.test('a held connection stays; released, it goes at the next check', async (t) => {
  const clock = new ManualClock();
  const idle = new ConnectionIdle(clock, limits);
  const conn = connection();
  idle.watchOutgoing(conn);
  idle.use(conn.key, 1);
  clock.advance(90_000);
  t.notOk(conn.socket.destroyed);
  idle.use(conn.key, -1);
  clock.advance(30_000);
  t.ok(conn.socket.destroyed);
});

t.test('after stop() pending idle checks close nothing', async (t) => {
  const clock = new ManualClock();
  const idle = new ConnectionIdle(clock, limits);
  const conn = connection();
  idle.watchOutgoing(conn);
  idle.stop();
  clock.advance(60_000);
  t.notOk(conn.socket.destroyed);
});
