// Batched UDP receive and direct send for the media plane, as a Node-API addon.
//
// Why native: Node's dgram costs 14-18 us per relayed packet on a 2-core VM where the system
// calls themselves cost about 4 us (bench/udp-syscall-cost.c). Per datagram dgram allocates a
// receive buffer and a `rinfo` object, enters JavaScript through MakeCallback (with a microtask
// checkpoint), and defers each send through a lookup callback and a send request. Here:
//  - the sockets are in one epoll set per thread; libuv watches that set's descriptor only;
//  - the first datagram after a quiet spell is read at once; then, while datagrams keep coming,
//    the set is read every COALESCE_MS (a timer) instead of on every wake-up, so one epoll_wait
//    and one entry into JavaScript serve all the datagrams of that millisecond;
//  - each ready socket is read with one recvmmsg(MSG_DONTWAIT) into slots of one shared buffer
//    the JavaScript side made; meta data (socket id, length, source) goes into an Int32Array;
//  - JavaScript gets the number of datagrams and handles them all synchronously;
//  - send() is a synchronous sendto on the non-blocking socket (a full send buffer drops the
//    datagram and returns -EAGAIN, as a router would: RTP is never queued behind itself).
// Nothing is retained between batches: the slots are overwritten by the next one.
//
// Forwarding: a socket may carry a rule (forward()) under which RTP from exactly one source is
// sent straight out of another socket, its payload type mapped, without entering JavaScript:
// the B2BUA's agent -> caller stream, which toneguard relays unchanged (rtp-media-session.ts
// sets and clears the rule). Anything the rule does not cover (another source, not RTP version
// 2, shorter than a header, a payload type the rule leaves to JavaScript, a closed target) goes
// to JavaScript as before, which applies the full policy to it.
//
// Context-aware (one engine per Node environment, worker threads included); sockets still open
// when the environment is torn down are closed by its cleanup hook.
#define _GNU_SOURCE  // recvmmsg
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

// Slot layout: datagram bytes [0, SLOT_DATA); the source address as text at SLOT_DATA (IPv6
// only: IPv4 sources are passed as a number the JavaScript side formats from a cache).
#define SLOT_BYTES 2048
#define SLOT_DATA 1984
#define META_INTS 8
#define MAX_BATCH_PER_READ 16
// Ready sockets per epoll_wait, and rounds per wake-up (bounded so timers and SIP still run).
#define EPOLL_BATCH 256
#define MAX_ROUNDS 16
// The coalescing window, ms: under load, reads are gathered this often instead of per datagram.
#define COALESCE_MS 1
// Empty windows in a row before the set is watched for readiness again. Going back costs an
// epoll_ctl ADD of our set into libuv's, and adding an epoll set into another makes the kernel
// walk every socket in it (its loop and wake-up path checks). When one empty window was enough
// (the timer often fires right after a drain), that walk took about 5 % of `serve`'s CPU at
// 1,000 calls outside secure mode (perf). A quiet call's next packet, 20 ms later, is still
// read at once.
#define IDLE_WINDOWS 8

typedef struct Engine Engine;

typedef struct Sock Sock;

// What a socket forwards without JavaScript (see the header).
typedef struct Forward {
  Sock *via;  // holds a reference
  struct sockaddr_storage from;  // the one source forwarded (address and port)
  struct sockaddr_storage to;
  socklen_t to_len;
  uint8_t pt_map[128];  // payload type out, or PT_TO_JS
} Forward;

#define PT_TO_JS 0xff

struct Sock {
  Engine *engine;
  int fd;
  int32_t id;
  int family;
  int refs;  // open (until close), the JavaScript external and forward rules through it hold one
  Forward *forward;
  // Since open: datagrams forwarded under a rule, and those whose send failed.
  double forwarded, forward_errors;
  struct Sock *prev, *next;
};

struct Engine {
  napi_env env;
  uv_loop_t *loop;
  napi_ref callback;
  napi_ref in_ref, meta_ref;
  napi_async_context async_context;
  uint8_t *in;
  int32_t *meta;
  uint32_t slots;
  uint32_t count;
  int32_t next_id;
  // The sockets are in an epoll set of our own; libuv watches only that set's descriptor.
  int epfd;
  // Own allocations: freed by their close callbacks, which may run after the engine is gone.
  uv_poll_t *ep_poll;
  uv_timer_t *timer;
  int coalescing;
  int idle_windows;  // empty coalescing windows in a row
  uint32_t open_count;
  Sock *socks;
  // Counters the JavaScript side reads (stats()): datagrams too long for a slot, receive errors,
  // how many batches were handed over, and how often the set went back to being watched.
  double truncated, recv_errors, batches, rearms;
};

static void sock_unref(Sock *s) {
  if (--s->refs == 0) free(s);
}

// A loop with media sockets open stays alive (as with dgram sockets); without, these handles do
// not hold it.
static void update_ref(Engine *e) {
  if (e->ep_poll == NULL) return;
  if (e->open_count > 0) {
    uv_ref((uv_handle_t *)e->ep_poll);
    uv_ref((uv_handle_t *)e->timer);
  } else {
    uv_unref((uv_handle_t *)e->ep_poll);
    uv_unref((uv_handle_t *)e->timer);
  }
}

static void forward_clear(Sock *s) {
  if (s->forward == NULL) return;
  sock_unref(s->forward->via);
  free(s->forward);
  s->forward = NULL;
}

static void sock_close(Sock *s) {
  if (s->fd < 0) return;
  forward_clear(s);
  Engine *e = s->engine;
  if (e != NULL && e->epfd >= 0) epoll_ctl(e->epfd, EPOLL_CTL_DEL, s->fd, NULL);
  close(s->fd);
  s->fd = -1;
  if (s->prev) s->prev->next = s->next;
  else if (e) e->socks = s->next;
  if (s->next) s->next->prev = s->prev;
  s->prev = s->next = NULL;
  if (e != NULL) {
    e->open_count--;
    update_ref(e);
  }
  sock_unref(s);
}

// Hands the filled slots to JavaScript. A throw there is the process's uncaught exception (the
// JavaScript side contains its handlers' errors; this is a bug, not a hostile packet).
static void flush(Engine *e) {
  if (e->count == 0 || e->callback == NULL) return;
  napi_env env = e->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn, recv, arg, result;
  uint32_t n = e->count;
  e->count = 0;
  e->batches++;
  napi_get_reference_value(env, e->callback, &fn);
  napi_get_global(env, &recv);  // napi_make_callback needs an object receiver
  napi_create_uint32(env, n, &arg);
  napi_status st = napi_make_callback(env, e->async_context, recv, fn, 1, &arg, &result);
  if (st == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

static int same_source(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
  if (a->ss_family != b->ss_family) return 0;
  if (a->ss_family == AF_INET) {
    const struct sockaddr_in *x = (const struct sockaddr_in *)a, *y = (const struct sockaddr_in *)b;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a, *y = (const struct sockaddr_in6 *)b;
  return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
}

// Sends the datagram on under the socket's rule; 0 when the rule does not cover it (JavaScript
// takes it).
static int try_forward(Sock *s, uint8_t *p, uint32_t len, const struct sockaddr_storage *from) {
  Forward *f = s->forward;
  if (len < 12 || (p[0] >> 6) != 2) return 0;
  uint8_t pt = f->pt_map[p[1] & 0x7f];
  if (pt == PT_TO_JS || f->via->fd < 0 || !same_source(from, &f->from)) return 0;
  p[1] = (uint8_t)((p[1] & 0x80) | pt);
  s->forwarded++;
  if (sendto(f->via->fd, p, len, MSG_DONTWAIT, (struct sockaddr *)&f->to, f->to_len) < 0) s->forward_errors++;
  return 1;
}

// Reads what `s` has queued into free slots (one recvmmsg); 1 when the slots are full.
static int read_sock(Engine *e, Sock *s) {
  struct mmsghdr msgs[MAX_BATCH_PER_READ];
  struct iovec iov[MAX_BATCH_PER_READ];
  struct sockaddr_storage from[MAX_BATCH_PER_READ];
  uint32_t room = e->slots - e->count;
  if (room == 0) return 1;
  uint32_t want = room < MAX_BATCH_PER_READ ? room : MAX_BATCH_PER_READ;
  for (uint32_t i = 0; i < want; i++) {
    iov[i].iov_base = e->in + (size_t)(e->count + i) * SLOT_BYTES;
    iov[i].iov_len = SLOT_DATA;
    memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &from[i];
    msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    msgs[i].msg_len = 0;
  }
  int got = recvmmsg(s->fd, msgs, want, MSG_DONTWAIT, NULL);
  if (got < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) e->recv_errors++;
    return 0;
  }
  for (int i = 0; i < got; i++) {
    if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
      e->truncated++;
      continue;
    }
    if (s->forward != NULL && try_forward(s, iov[i].iov_base, msgs[i].msg_len, &from[i])) continue;
    uint32_t slot = e->count;
    uint8_t *base = e->in + (size_t)slot * SLOT_BYTES;
    // An earlier datagram of this read was skipped: close the gap.
    if (iov[i].iov_base != base) memmove(base, iov[i].iov_base, msgs[i].msg_len);
    int32_t *m = e->meta + (size_t)slot * META_INTS;
    m[0] = s->id;
    m[1] = (int32_t)msgs[i].msg_len;
    if (from[i].ss_family == AF_INET) {
      struct sockaddr_in *a = (struct sockaddr_in *)&from[i];
      m[2] = 4;
      m[3] = ntohs(a->sin_port);
      m[4] = (int32_t)ntohl(a->sin_addr.s_addr);
    } else if (from[i].ss_family == AF_INET6) {
      struct sockaddr_in6 *a = (struct sockaddr_in6 *)&from[i];
      m[2] = 6;
      m[3] = ntohs(a->sin6_port);
      m[4] = 0;
      char *text = (char *)base + SLOT_DATA;
      if (inet_ntop(AF_INET6, &a->sin6_addr, text, SLOT_BYTES - SLOT_DATA) == NULL) text[0] = 0;
    } else {
      continue;
    }
    e->count++;
  }
  return e->count == e->slots;
}

// Reads every ready socket and hands the datagrams over, a batch at a time. JavaScript (which
// may close sockets) runs only between epoll_wait rounds, never while ready-socket pointers from
// a round are still to be read. Returns the number of datagrams handed over.
static uint32_t drain(Engine *e) {
  struct epoll_event ev[EPOLL_BATCH];
  uint32_t total = 0;
  for (int round = 0; round < MAX_ROUNDS && e->epfd >= 0; round++) {
    int n = epoll_wait(e->epfd, ev, EPOLL_BATCH, 0);
    if (n <= 0) break;
    int full = 0;
    for (int i = 0; i < n && !full; i++) {
      Sock *s = (Sock *)ev[i].data.ptr;
      if (s->fd >= 0) full = read_sock(e, s);
    }
    total += e->count;
    flush(e);
    if (!full && n < EPOLL_BATCH) break;
  }
  return total;
}

static void on_timer(uv_timer_t *h);

// The first datagram after a quiet spell is handled at once; then reads are gathered for the
// coalescing window (a timer instead of a wake-up per datagram), until IDLE_WINDOWS windows in a
// row find nothing.
static void on_ep_readable(uv_poll_t *h, int status, int events) {
  Engine *e = (Engine *)h->data;
  if (status < 0 || !(events & UV_READABLE)) return;
  drain(e);
  if (e->ep_poll == NULL) return;  // torn down by the handler
  uv_poll_stop(e->ep_poll);
  e->coalescing = 1;
  e->idle_windows = 0;
  uv_timer_start(e->timer, on_timer, COALESCE_MS, COALESCE_MS);
}

static void on_timer(uv_timer_t *h) {
  Engine *e = (Engine *)h->data;
  if (drain(e) > 0) {
    e->idle_windows = 0;
    return;
  }
  if (e->ep_poll == NULL || ++e->idle_windows < IDLE_WINDOWS) return;
  uv_timer_stop(e->timer);
  e->coalescing = 0;
  e->rearms++;
  uv_poll_start(e->ep_poll, UV_READABLE, on_ep_readable);
}

static void on_handle_closed(uv_handle_t *h) { free(h); }

static void cleanup(void *arg) {
  Engine *e = (Engine *)arg;
  while (e->socks) {
    Sock *s = e->socks;
    sock_close(s);
    s->engine = NULL;
  }
  if (e->ep_poll != NULL) {
    uv_poll_stop(e->ep_poll);
    uv_close((uv_handle_t *)e->ep_poll, on_handle_closed);
    uv_timer_stop(e->timer);
    uv_close((uv_handle_t *)e->timer, on_handle_closed);
    e->ep_poll = NULL;
    e->timer = NULL;
  }
  if (e->epfd >= 0) close(e->epfd);
  e->epfd = -1;
  e->callback = NULL;
  // The engine itself is the environment's instance data, freed by its finalizer after this.
}

static void engine_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

static Engine *engine_of(napi_env env) {
  void *data = NULL;
  napi_get_instance_data(env, &data);
  return (Engine *)data;
}

#define CHECK(call)                                   \
  do {                                                \
    if ((call) != napi_ok) return throw_status(env); \
  } while (0)

static napi_value throw_status(napi_env env) {
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, "ENATIVEUDP", info && info->error_message ? info->error_message : "native udp call failed");
  return NULL;
}

static napi_value number(napi_env env, double v) {
  napi_value out;
  napi_create_double(env, v, &out);
  return out;
}

// init(slotsBuffer: Uint8Array, meta: Int32Array, onBatch: (count) => void): number of slots.
static napi_value js_init(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Engine *e = engine_of(env);
  if (e->callback != NULL) {
    napi_throw_error(env, "ENATIVEUDP", "native udp already initialised in this thread");
    return NULL;
  }
  napi_typedarray_type t1, t2;
  size_t len1, len2;
  void *d1, *d2;
  CHECK(napi_get_typedarray_info(env, argv[0], &t1, &len1, &d1, NULL, NULL));
  CHECK(napi_get_typedarray_info(env, argv[1], &t2, &len2, &d2, NULL, NULL));
  if (t1 != napi_uint8_array || t2 != napi_int32_array) {
    napi_throw_type_error(env, "ENATIVEUDP", "init(Uint8Array, Int32Array, function)");
    return NULL;
  }
  uint32_t slots = (uint32_t)(len1 / SLOT_BYTES);
  if (len2 / META_INTS < slots) slots = (uint32_t)(len2 / META_INTS);
  if (slots == 0) {
    napi_throw_range_error(env, "ENATIVEUDP", "buffers too small for one slot");
    return NULL;
  }
  CHECK(napi_create_reference(env, argv[0], 1, &e->in_ref));
  CHECK(napi_create_reference(env, argv[1], 1, &e->meta_ref));
  CHECK(napi_create_reference(env, argv[2], 1, &e->callback));
  napi_value name;
  CHECK(napi_create_string_utf8(env, "toneguard:native-udp", NAPI_AUTO_LENGTH, &name));
  napi_value resource;
  CHECK(napi_create_object(env, &resource));
  CHECK(napi_async_init(env, resource, name, &e->async_context));
  e->in = (uint8_t *)d1;
  e->meta = (int32_t *)d2;
  e->slots = slots;
  e->epfd = epoll_create1(EPOLL_CLOEXEC);
  e->ep_poll = (uv_poll_t *)malloc(sizeof *e->ep_poll);
  e->timer = (uv_timer_t *)malloc(sizeof *e->timer);
  if (e->epfd < 0 || e->ep_poll == NULL || e->timer == NULL || uv_poll_init(e->loop, e->ep_poll, e->epfd) != 0) {
    napi_throw_error(env, "ENATIVEUDP", "cannot create the epoll set");
    return NULL;
  }
  uv_timer_init(e->loop, e->timer);
  e->ep_poll->data = e;
  e->timer->data = e;
  uv_poll_start(e->ep_poll, UV_READABLE, on_ep_readable);
  update_ref(e);
  return number(env, slots);
}

static void sock_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Sock *s = (Sock *)data;
  if (s->fd >= 0) sock_close(s);  // dropped without close(): still free the port
  sock_unref(s);
}

static int parse_address(int family, const char *text, uint32_t port, struct sockaddr_storage *out, socklen_t *len) {
  memset(out, 0, sizeof *out);
  if (family == 4) {
    struct sockaddr_in *a = (struct sockaddr_in *)out;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, text, &a->sin_addr) != 1) return -EINVAL;
    *len = sizeof *a;
    return 0;
  }
  struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
  a->sin6_family = AF_INET6;
  a->sin6_port = htons((uint16_t)port);
  if (inet_pton(AF_INET6, text, &a->sin6_addr) != 1) {
    // An IPv4 destination from an IPv6 socket (dual stack): its v4-mapped form.
    struct in_addr v4;
    if (inet_pton(AF_INET, text, &v4) != 1) return -EINVAL;
    memset(&a->sin6_addr, 0, sizeof a->sin6_addr);
    a->sin6_addr.s6_addr[10] = 0xff;
    a->sin6_addr.s6_addr[11] = 0xff;
    memcpy(&a->sin6_addr.s6_addr[12], &v4, 4);
  }
  *len = sizeof *a;
  return 0;
}

// open(family 4|6, address, port, recvBufferBytes): [id, handle, bound port] or a negative errno.
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Engine *e = engine_of(env);
  int32_t family;
  uint32_t port;
  int32_t rcvbuf;
  char address[64];
  size_t alen;
  CHECK(napi_get_value_int32(env, argv[0], &family));
  CHECK(napi_get_value_string_utf8(env, argv[1], address, sizeof address, &alen));
  CHECK(napi_get_value_uint32(env, argv[2], &port));
  CHECK(napi_get_value_int32(env, argv[3], &rcvbuf));
  if ((family != 4 && family != 6) || port > 65535) return number(env, -EINVAL);
  struct sockaddr_storage sa;
  socklen_t salen;
  if (parse_address(family, address, port, &sa, &salen) != 0) return number(env, -EINVAL);
  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return number(env, -errno);
  if (family == 6) {
    int off = 0;  // dual stack, as Node's udp6 sockets
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  }
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (bind(fd, (struct sockaddr *)&sa, salen) != 0) {
    int err = errno;
    close(fd);
    return number(env, -err);
  }
  struct sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  uint32_t bound_port = port;
  if (getsockname(fd, (struct sockaddr *)&bound, &blen) == 0) {
    bound_port = ntohs(bound.ss_family == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port : ((struct sockaddr_in6 *)&bound)->sin6_port);
  }
  Sock *s = (Sock *)calloc(1, sizeof *s);
  if (s == NULL) {
    close(fd);
    return number(env, -ENOMEM);
  }
  s->engine = e;
  s->fd = fd;
  s->family = family;
  s->id = e->next_id++;
  if (e->next_id < 0) e->next_id = 0;
  s->refs = 2;
  struct epoll_event ev = {.events = EPOLLIN, .data = {.ptr = s}};
  if (e->epfd < 0 || epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    int err = e->epfd < 0 ? EBADF : errno;
    close(fd);
    free(s);
    return number(env, -err);
  }
  s->next = e->socks;
  if (e->socks) e->socks->prev = s;
  e->socks = s;
  e->open_count++;
  update_ref(e);
  napi_value ext, pair, idv;
  CHECK(napi_create_external(env, s, sock_finalize, NULL, &ext));
  CHECK(napi_create_array_with_length(env, 3, &pair));
  CHECK(napi_create_int32(env, s->id, &idv));
  CHECK(napi_set_element(env, pair, 0, idv));
  CHECK(napi_set_element(env, pair, 1, ext));
  CHECK(napi_set_element(env, pair, 2, number(env, bound_port)));
  return pair;
}

static Sock *sock_arg(napi_env env, napi_value v) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok) return NULL;
  return (Sock *)data;
}

// The socket of a call whose one argument is a socket handle; NULL when it is not one.
static Sock *the_sock_arg(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return NULL;
  return sock_arg(env, argv[0]);
}

// An array of `n` numbers (counters handed to JavaScript); NULL with an exception pending on failure.
static napi_value numbers(napi_env env, const double *values, uint32_t n) {
  napi_value out;
  CHECK(napi_create_array_with_length(env, n, &out));
  for (uint32_t i = 0; i < n; i++) CHECK(napi_set_element(env, out, i, number(env, values[i])));
  return out;
}

// send(handle, bytes: Uint8Array, port, address): bytes sent or a negative errno.
static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Sock *s = sock_arg(env, argv[0]);
  if (s == NULL) return number(env, -EINVAL);
  if (s->fd < 0) return number(env, -EBADF);
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_uint8_array) return number(env, -EINVAL);
  uint32_t port;
  char address[64];
  size_t alen;
  if (napi_get_value_uint32(env, argv[2], &port) != napi_ok || port == 0 || port > 65535) return number(env, -EINVAL);
  if (napi_get_value_string_utf8(env, argv[3], address, sizeof address, &alen) != napi_ok) return number(env, -EINVAL);
  struct sockaddr_storage sa;
  socklen_t salen;
  if (parse_address(s->family, address, port, &sa, &salen) != 0) return number(env, -EINVAL);
  ssize_t n = sendto(s->fd, data, length, MSG_DONTWAIT, (struct sockaddr *)&sa, salen);
  return number(env, n < 0 ? -errno : (double)n);
}

// forward(handle, viaHandle, fromAddress, fromPort, toAddress, toPort, payloadTypes: Uint8Array
// of 128, PT_TO_JS where JavaScript decides): 0 or a negative errno. Replaces the socket's rule.
static napi_value js_forward(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 7) return number(env, -EINVAL);
  Sock *s = sock_arg(env, argv[0]);
  Sock *via = sock_arg(env, argv[1]);
  // Both of this thread's engine: a rule holds a reference on `via`, counted without locks.
  if (s == NULL || via == NULL || s->engine != via->engine) return number(env, -EINVAL);
  if (s->fd < 0 || via->fd < 0) return number(env, -EBADF);
  uint32_t from_port, to_port;
  char from_text[64], to_text[64];
  size_t alen;
  napi_typedarray_type type;
  size_t length;
  void *map;
  if (napi_get_value_string_utf8(env, argv[2], from_text, sizeof from_text, &alen) != napi_ok ||
      napi_get_value_uint32(env, argv[3], &from_port) != napi_ok ||
      napi_get_value_string_utf8(env, argv[4], to_text, sizeof to_text, &alen) != napi_ok ||
      napi_get_value_uint32(env, argv[5], &to_port) != napi_ok ||
      napi_get_typedarray_info(env, argv[6], &type, &length, &map, NULL, NULL) != napi_ok || type != napi_uint8_array || length != 128 ||
      from_port == 0 || from_port > 65535 || to_port == 0 || to_port > 65535)
    return number(env, -EINVAL);
  Forward *f = (Forward *)calloc(1, sizeof *f);
  if (f == NULL) return number(env, -ENOMEM);
  socklen_t from_len;
  if (parse_address(s->family, from_text, from_port, &f->from, &from_len) != 0 || parse_address(via->family, to_text, to_port, &f->to, &f->to_len) != 0) {
    free(f);
    return number(env, -EINVAL);
  }
  memcpy(f->pt_map, map, sizeof f->pt_map);
  f->via = via;
  via->refs++;
  forward_clear(s);
  s->forward = f;
  return number(env, 0);
}

// unforward(handle): every datagram goes to JavaScript again. Idempotent.
static napi_value js_unforward(napi_env env, napi_callback_info info) {
  Sock *s = the_sock_arg(env, info);
  if (s != NULL) forward_clear(s);
  return NULL;
}

// forwarded(handle): [datagrams forwarded, sends that failed] since open (readable after close).
static napi_value js_forwarded(napi_env env, napi_callback_info info) {
  Sock *s = the_sock_arg(env, info);
  double counts[2] = {s == NULL ? 0 : s->forwarded, s == NULL ? 0 : s->forward_errors};
  return numbers(env, counts, 2);
}

// close(handle): idempotent.
static napi_value js_close(napi_env env, napi_callback_info info) {
  Sock *s = the_sock_arg(env, info);
  if (s != NULL) sock_close(s);
  return NULL;
}

// stats(): [truncated, recvErrors, batches, rearms].
static napi_value js_stats(napi_env env, napi_callback_info info) {
  (void)info;
  Engine *e = engine_of(env);
  double counts[4] = {e->truncated, e->recv_errors, e->batches, e->rearms};
  return numbers(env, counts, 4);
}

NAPI_MODULE_INIT() {
  Engine *e = (Engine *)calloc(1, sizeof *e);
  if (e == NULL) return NULL;
  e->env = env;
  e->epfd = -1;
  if (napi_get_uv_event_loop(env, &e->loop) != napi_ok) {
    free(e);
    return NULL;
  }
  napi_set_instance_data(env, e, engine_finalize, NULL);
  napi_add_env_cleanup_hook(env, cleanup, e);
  napi_property_descriptor props[] = {
      {"init", NULL, js_init, NULL, NULL, NULL, napi_default, NULL},
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"forward", NULL, js_forward, NULL, NULL, NULL, napi_default, NULL},
      {"unforward", NULL, js_unforward, NULL, NULL, NULL, napi_default, NULL},
      {"forwarded", NULL, js_forwarded, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, js_stats, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
