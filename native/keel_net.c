/*
 * keel_net: the few socket calls keel needs that the raw-socket package cannot make.
 *
 *  - An IPv6 raw socket (VRRPv3 over IPv6) that reports each packet's hop limit and destination
 *    address: those come only as recvmsg() ancillary data (IPV6_HOPLIMIT, IPV6_PKTINFO), and
 *    raw-socket reads with recvfrom(). Sending picks the source address with IPV6_PKTINFO.
 *    Packets reach JavaScript through a uv_poll watcher on Node's own loop: no thread.
 *  - An AF_PACKET socket for gratuitous ARP and unsolicited neighbour advertisements: keel
 *    builds the whole Ethernet frame (src/net/arp-frame.ts) and this only hands it to a device.
 *  - A timer with microsecond precision: a timerfd on Node's loop. libuv timers count whole
 *    milliseconds and wake up to one late, which shows on the wire as advert jitter; spinning
 *    the last millisecond fixes that but costs a busy millisecond per advert.
 *  - Process settings keepalived applies to itself and Node has no call for: entering a network
 *    namespace (setns, for -s / net_namespace), real-time scheduling, CPU affinity, RLIMIT_RTTIME
 *    (vrrp_rt_priority, vrrp_cpu_affinity, vrrp_rlimit_rttime and their checker_ twins). They act on the calling thread, i.e. the main thread, and threads
 *    started later inherit them.
 *  - Interface facts (index, MAC, flags) from ioctl(), which answers for the caller's own
 *    network namespace whatever /sys shows.
 *  - An AF_UNIX datagram socket to hand log lines to syslog (/dev/log): Node has none.
 *  - Checker sockets: TCP_CHECK's connect and HTTP_GET's exchange (connect, request, read to EOF)
 *    as non-blocking sockets on Node's loop, with SO_BINDTODEVICE (bind_if) and SO_MARK (fwmark),
 *    which Node cannot set, and without net.Socket's per-connection cost.
 *
 * Every failure becomes a JS Error with code (ENETDOWN...), errno, syscall and the interface in
 * the message; nothing here aborts the process.
 */
/* setns(), sched_setaffinity() and CPU_SET need the GNU extensions of glibc (node-gyp may define it already). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <time.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL 29
#endif

#define RECV_BUF_SIZE 65536
/* Bound the work done per wake-up; the watcher is level-triggered, so the rest follows. */
#define MAX_READS_PER_WAKEUP 256

/* ------------------------------------------------------------------------------------------ */
/* Errors */

static napi_value errno_error(napi_env env, int err, const char *syscall, const char *ifname) {
  char msg[512];
  const char *code = uv_err_name(-err);
  if (ifname && *ifname)
    snprintf(msg, sizeof msg, "%s on %s: %s (%s)", syscall, ifname, strerror(err), code);
  else
    snprintf(msg, sizeof msg, "%s: %s (%s)", syscall, strerror(err), code);
  napi_value jcode, jmsg, e, jerrno, jsys;
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &jcode);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &jmsg);
  napi_create_error(env, jcode, jmsg, &e);
  napi_create_int32(env, err, &jerrno);
  napi_set_named_property(env, e, "errno", jerrno);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &jsys);
  napi_set_named_property(env, e, "syscall", jsys);
  napi_value jdetail;
  napi_create_string_utf8(env, strerror(err), NAPI_AUTO_LENGTH, &jdetail);
  napi_set_named_property(env, e, "detail", jdetail);
  if (ifname && *ifname) {
    napi_value jif;
    napi_create_string_utf8(env, ifname, NAPI_AUTO_LENGTH, &jif);
    napi_set_named_property(env, e, "interface", jif);
  }
  return e;
}

static napi_value throw_errno(napi_env env, int err, const char *syscall, const char *ifname) {
  napi_throw(env, errno_error(env, err, syscall, ifname));
  return NULL;
}

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Argument helpers */

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  for (size_t i = argc; i < want; i++) napi_get_undefined(env, &argv[i]);
  return 1;
}

static int get_int(napi_env env, napi_value v, int32_t *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return 0;
  return napi_get_value_int32(env, v, out) == napi_ok;
}

/* A JS string into buf; 0 when not a string or too long. */
static int get_string(napi_env env, napi_value v, char *buf, size_t size) {
  napi_valuetype t;
  size_t len;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) return 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok || len + 1 > size) return 0;
  return napi_get_value_string_utf8(env, v, buf, size, &len) == napi_ok;
}

static int is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && (t == napi_undefined || t == napi_null);
}

static int get_bytes(napi_env env, napi_value v, void **data, size_t *len) {
  bool ok = false;
  if (napi_is_buffer(env, v, &ok) == napi_ok && ok) return napi_get_buffer_info(env, v, data, len) == napi_ok;
  if (napi_is_typedarray(env, v, &ok) == napi_ok && ok) {
    napi_typedarray_type type;
    size_t length, offset;
    napi_value ab;
    if (napi_get_typedarray_info(env, v, &type, &length, data, &ab, &offset) != napi_ok) return 0;
    if (type != napi_uint8_array) return 0;
    *len = length;
    return 1;
  }
  return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* IPv6 VRRP socket */

typedef struct {
  int fd;
  int ifindex;
  char ifname[IF_NAMESIZE];
  uv_poll_t *poll;
  napi_env env;
  napi_ref callback;
  unsigned char *buf;
} v6sock;

static void on_handle_closed(uv_handle_t *h) { free(h); }

static void v6_close(v6sock *s) {
  if (s->poll) {
    uv_poll_stop(s->poll);
    uv_close((uv_handle_t *)s->poll, on_handle_closed);
    s->poll = NULL;
  }
  if (s->fd >= 0) {
    close(s->fd);
    s->fd = -1;
  }
  if (s->callback) {
    napi_delete_reference(s->env, s->callback);
    s->callback = NULL;
  }
  free(s->buf);
  s->buf = NULL;
}

static void v6_finalize(napi_env env, void *data, void *hint) {
  v6sock *s = data;
  v6_close(s);
  free(s);
}

/* Call the JS callback; an exception it throws goes to process 'uncaughtException' like any. */
static void call_js(v6sock *s, size_t argc, napi_value *argv) {
  napi_env env = s->env;
  napi_value cb, recv, result;
  if (!s->callback || napi_get_reference_value(env, s->callback, &cb) != napi_ok || !cb) return;
  napi_get_global(env, &recv); /* napi_make_callback needs an object as receiver */
  if (napi_make_callback(env, NULL, recv, cb, argc, argv, &result) == napi_pending_exception) {
    napi_value exc;
    napi_get_and_clear_last_exception(env, &exc);
    napi_fatal_exception(env, exc);
  }
}

static void deliver_error(v6sock *s, int err, const char *syscall) {
  napi_value argv[1];
  argv[0] = errno_error(s->env, err, syscall, s->ifname);
  call_js(s, 1, argv);
}

static void on_readable(uv_poll_t *h, int status, int events) {
  v6sock *s = h->data;
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  if (status < 0) {
    deliver_error(s, -status, "poll");
    napi_close_handle_scope(env, scope);
    return;
  }
  for (int i = 0; i < MAX_READS_PER_WAKEUP && s->fd >= 0; i++) {
    struct sockaddr_in6 from;
    /* Aligned for struct cmsghdr; room for pktinfo and the hop limit. */
    union { char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int)) + 64]; struct cmsghdr align; } control;
    struct iovec iov = { .iov_base = s->buf, .iov_len = RECV_BUF_SIZE };
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    memset(&from, 0, sizeof from);
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    ssize_t n = recvmsg(s->fd, &msg, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) deliver_error(s, errno, "recvmsg");
      break;
    }
    int hops = -1;
    int ifindex = s->ifindex;
    int have_dst = 0;
    struct in6_addr dst;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != IPPROTO_IPV6) continue;
      if (c->cmsg_type == IPV6_HOPLIMIT && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
        memcpy(&hops, CMSG_DATA(c), sizeof hops);
      } else if (c->cmsg_type == IPV6_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
        struct in6_pktinfo pi;
        memcpy(&pi, CMSG_DATA(c), sizeof pi);
        dst = pi.ipi6_addr;
        ifindex = (int)pi.ipi6_ifindex;
        have_dst = 1;
      }
    }
    char src_text[INET6_ADDRSTRLEN], dst_text[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &from.sin6_addr, src_text, sizeof src_text);
    if (have_dst) inet_ntop(AF_INET6, &dst, dst_text, sizeof dst_text);

    napi_handle_scope inner;
    if (napi_open_handle_scope(env, &inner) != napi_ok) break;
    napi_value argv[6];
    void *copy;
    napi_get_null(env, &argv[0]);
    napi_create_buffer_copy(env, (size_t)n, s->buf, &copy, &argv[1]);
    napi_create_string_utf8(env, src_text, NAPI_AUTO_LENGTH, &argv[2]);
    if (have_dst) napi_create_string_utf8(env, dst_text, NAPI_AUTO_LENGTH, &argv[3]);
    else napi_get_null(env, &argv[3]);
    napi_create_int32(env, hops, &argv[4]);
    napi_create_int32(env, ifindex, &argv[5]);
    call_js(s, 6, argv); /* may close the socket: the loop condition checks fd */
    napi_close_handle_scope(env, inner);
  }
  napi_close_handle_scope(env, scope);
}

static int setopt_int(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof value);
}

/*
 * vrrp6Open(ifname, ifindex, protocol, groups: string[], callback) -> handle
 * callback(err) or callback(null, data, src, dst|null, hopLimit, ifindex)
 * The options are keepalived's read and send sockets' (vrrp.c open_vrrp_read_socket /
 * open_vrrp_send_socket, vrrp_if.c if_setsockopt_*) on one socket.
 */
static napi_value vrrp6_open(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!get_args(env, info, 5, argv)) return NULL;
  char ifname[IF_NAMESIZE];
  int32_t ifindex, protocol;
  if (!get_string(env, argv[0], ifname, sizeof ifname)) return throw_type(env, "interface name must be a string of at most 15 characters");
  if (!get_int(env, argv[1], &ifindex) || ifindex <= 0) return throw_type(env, "ifindex must be a positive integer");
  if (!get_int(env, argv[2], &protocol) || protocol < 0 || protocol > 255) return throw_type(env, "protocol must be 0..255");
  bool is_array = false;
  napi_is_array(env, argv[3], &is_array);
  if (!is_array) return throw_type(env, "groups must be an array of IPv6 addresses");
  napi_valuetype t;
  napi_typeof(env, argv[4], &t);
  if (t != napi_function) return throw_type(env, "callback must be a function");

  uint32_t ngroups;
  napi_get_array_length(env, argv[3], &ngroups);
  struct in6_addr groups[16];
  if (ngroups > 16) return throw_type(env, "at most 16 groups");
  for (uint32_t i = 0; i < ngroups; i++) {
    napi_value g;
    char text[INET6_ADDRSTRLEN + 1];
    napi_get_element(env, argv[3], i, &g);
    if (!get_string(env, g, text, sizeof text) || inet_pton(AF_INET6, text, &groups[i]) != 1)
      return throw_type(env, "groups must be IPv6 addresses");
  }

  int fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) return throw_errno(env, errno, "socket(AF_INET6, SOCK_RAW)", ifname);

  const char *failed = NULL;
  /* Only the groups joined here, not every group some other socket joined. Old kernels lack
   * the option; keepalived carries on without it too. */
  if (setopt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0) < 0 && errno != ENOPROTOOPT) failed = "setsockopt(IPV6_MULTICAST_ALL)";
  for (uint32_t i = 0; !failed && i < ngroups; i++) {
    struct ipv6_mreq mr;
    memset(&mr, 0, sizeof mr);
    mr.ipv6mr_multiaddr = groups[i];
    mr.ipv6mr_interface = (unsigned)ifindex;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) failed = "setsockopt(IPV6_ADD_MEMBERSHIP)";
  }
  if (!failed && setopt_int(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1) < 0) failed = "setsockopt(IPV6_RECVHOPLIMIT)";
  if (!failed && setopt_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) < 0) failed = "setsockopt(IPV6_RECVPKTINFO)";
  if (!failed && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname) + 1) < 0) failed = "setsockopt(SO_BINDTODEVICE)";
  /* The kernel fills (and on receipt verifies) the checksum at offset 6, as for keepalived:
   * whatever the sender put there, the bytes on the wire are the same. */
  if (!failed && setopt_int(fd, IPPROTO_IPV6, IPV6_CHECKSUM, 6) < 0) failed = "setsockopt(IPV6_CHECKSUM)";
  if (!failed && setopt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255) < 0) failed = "setsockopt(IPV6_MULTICAST_HOPS)";
  if (!failed && setopt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex) < 0) failed = "setsockopt(IPV6_MULTICAST_IF)";
  if (!failed && setopt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0) < 0) failed = "setsockopt(IPV6_MULTICAST_LOOP)";
  if (!failed && setopt_int(fd, IPPROTO_IPV6, IPV6_TCLASS, 0xc0) < 0) failed = "setsockopt(IPV6_TCLASS)";
  if (failed) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, failed, ifname);
  }

  v6sock *s = calloc(1, sizeof *s);
  uv_poll_t *poll = calloc(1, sizeof *poll);
  unsigned char *buf = malloc(RECV_BUF_SIZE);
  uv_loop_t *loop = NULL;
  if (!s || !poll || !buf || napi_get_uv_event_loop(env, &loop) != napi_ok) {
    free(s);
    free(poll);
    free(buf);
    close(fd);
    return throw_errno(env, ENOMEM, "vrrp6Open", ifname);
  }
  s->fd = fd;
  s->ifindex = ifindex;
  snprintf(s->ifname, sizeof s->ifname, "%s", ifname);
  s->env = env;
  s->buf = buf;
  int rc = uv_poll_init(loop, poll, fd);
  if (rc < 0) {
    free(poll);
    v6_close(s);
    free(s);
    return throw_errno(env, -rc, "uv_poll_init", ifname);
  }
  poll->data = s;
  s->poll = poll;
  napi_create_reference(env, argv[4], 1, &s->callback);
  uv_poll_start(poll, UV_READABLE, on_readable);

  napi_value handle;
  if (napi_create_external(env, s, v6_finalize, NULL, &handle) != napi_ok) {
    v6_close(s);
    free(s);
    return NULL;
  }
  return handle;
}

static v6sock *get_v6(napi_env env, napi_value v) {
  void *p = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  return p;
}

/*
 * vrrp6Send(handle, data, dst, src|null, hopLimit) -> bytes sent
 * The source goes in IPV6_PKTINFO with the interface (vrrp.c vrrp_build_ancillary_data); a hop
 * limit >= 0 goes in IPV6_HOPLIMIT (keepalived does so for unicast_ttl), else the socket's.
 * Multicast goes out with MSG_DONTROUTE, as keepalived's does.
 */
static napi_value vrrp6_send(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!get_args(env, info, 5, argv)) return NULL;
  v6sock *s = get_v6(env, argv[0]);
  if (!s) return throw_type(env, "not a VRRP IPv6 socket");
  if (s->fd < 0) return throw_errno(env, EBADF, "sendmsg", s->ifname);
  void *data;
  size_t len;
  if (!get_bytes(env, argv[1], &data, &len)) return throw_type(env, "data must be a Buffer or Uint8Array");
  char text[INET6_ADDRSTRLEN + 1];
  struct sockaddr_in6 to;
  memset(&to, 0, sizeof to);
  to.sin6_family = AF_INET6;
  if (!get_string(env, argv[2], text, sizeof text) || inet_pton(AF_INET6, text, &to.sin6_addr) != 1)
    return throw_type(env, "destination must be an IPv6 address");
  if (IN6_IS_ADDR_LINKLOCAL(&to.sin6_addr) || IN6_IS_ADDR_MC_LINKLOCAL(&to.sin6_addr)) to.sin6_scope_id = (uint32_t)s->ifindex;
  struct in6_pktinfo pi;
  memset(&pi, 0, sizeof pi);
  pi.ipi6_ifindex = (unsigned)s->ifindex;
  if (!is_nullish(env, argv[3])) {
    if (!get_string(env, argv[3], text, sizeof text) || inet_pton(AF_INET6, text, &pi.ipi6_addr) != 1)
      return throw_type(env, "source must be an IPv6 address");
  }
  int32_t hops = -1;
  if (!is_nullish(env, argv[4]) && (!get_int(env, argv[4], &hops) || hops > 255)) return throw_type(env, "hop limit must be 0..255");

  union { char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } control;
  memset(&control, 0, sizeof control);
  struct iovec iov = { .iov_base = data, .iov_len = len };
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_name = &to;
  msg.msg_namelen = sizeof to;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = CMSG_SPACE(sizeof(struct in6_pktinfo)) + (hops >= 0 ? CMSG_SPACE(sizeof(int)) : 0);
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = IPPROTO_IPV6;
  c->cmsg_type = IPV6_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
  memcpy(CMSG_DATA(c), &pi, sizeof pi);
  if (hops >= 0) {
    c = CMSG_NXTHDR(&msg, c);
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_HOPLIMIT;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    int h = hops;
    memcpy(CMSG_DATA(c), &h, sizeof h);
  }
  int flags = IN6_IS_ADDR_MULTICAST(&to.sin6_addr) ? MSG_DONTROUTE : 0;
  ssize_t n;
  do n = sendmsg(s->fd, &msg, flags); while (n < 0 && errno == EINTR);
  if (n < 0) return throw_errno(env, errno, "sendmsg", s->ifname);
  napi_value out;
  napi_create_int64(env, (int64_t)n, &out);
  return out;
}

static napi_value vrrp6_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  v6sock *s = get_v6(env, argv[0]);
  if (!s) return throw_type(env, "not a VRRP IPv6 socket");
  v6_close(s);
  return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Packet socket for ARP / NA frames */

typedef struct {
  int fd;
} pktsock;

static void pkt_finalize(napi_env env, void *data, void *hint) {
  pktsock *p = data;
  if (p->fd >= 0) close(p->fd);
  free(p);
}

static pktsock *get_pkt(napi_env env, napi_value v) {
  void *p = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  return p;
}

/* packetOpen() -> handle. Protocol 0: the socket receives nothing, it only sends. */
static napi_value packet_open(napi_env env, napi_callback_info info) {
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket(AF_PACKET, SOCK_RAW)", NULL);
  pktsock *p = calloc(1, sizeof *p);
  if (!p) {
    close(fd);
    return throw_errno(env, ENOMEM, "packetOpen", NULL);
  }
  p->fd = fd;
  napi_value handle;
  if (napi_create_external(env, p, pkt_finalize, NULL, &handle) != napi_ok) {
    close(fd);
    free(p);
    return NULL;
  }
  return handle;
}

/*
 * packetSend(handle, ifindex, frames: Uint8Array[], start) -> [sent, errno]
 * Sends frames[start..] on the interface until one fails; returns how many went and the errno
 * that stopped it (0 when all went), so the caller can wait on EAGAIN / ENOBUFS and go on.
 * Destination MAC and EtherType are read from each frame's Ethernet header.
 */
static napi_value packet_send(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, 4, argv)) return NULL;
  pktsock *p = get_pkt(env, argv[0]);
  if (!p) return throw_type(env, "not a packet socket");
  int32_t ifindex, start;
  if (!get_int(env, argv[1], &ifindex) || ifindex <= 0) return throw_type(env, "ifindex must be a positive integer");
  bool is_array = false;
  napi_is_array(env, argv[2], &is_array);
  if (!is_array) return throw_type(env, "frames must be an array");
  if (!get_int(env, argv[3], &start) || start < 0) return throw_type(env, "start must be a non-negative integer");
  if (p->fd < 0) return throw_errno(env, EBADF, "sendto", NULL);
  uint32_t count;
  napi_get_array_length(env, argv[2], &count);
  uint32_t i = (uint32_t)start;
  int err = 0;
  for (; i < count; i++) {
    napi_value f;
    void *data;
    size_t len;
    napi_get_element(env, argv[2], i, &f);
    if (!get_bytes(env, f, &data, &len) || len < 14) return throw_type(env, "each frame must be a Uint8Array holding at least an Ethernet header");
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = ifindex;
    memcpy(&sll.sll_protocol, (unsigned char *)data + 12, 2); /* already in network order */
    sll.sll_halen = 6;
    memcpy(sll.sll_addr, data, 6);
    ssize_t n;
    do n = sendto(p->fd, data, len, 0, (struct sockaddr *)&sll, sizeof sll); while (n < 0 && errno == EINTR);
    if (n < 0) {
      err = errno;
      break;
    }
  }
  napi_value out, jsent, jerr;
  napi_create_array_with_length(env, 2, &out);
  napi_create_uint32(env, i - (uint32_t)start, &jsent);
  napi_create_int32(env, err, &jerr);
  napi_set_element(env, out, 0, jsent);
  napi_set_element(env, out, 1, jerr);
  return out;
}

static napi_value packet_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  pktsock *p = get_pkt(env, argv[0]);
  if (!p) return throw_type(env, "not a packet socket");
  if (p->fd >= 0) {
    close(p->fd);
    p->fd = -1;
  }
  return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Interface facts */

/* interfaceInfo(name) -> { index, mac: Buffer(6) | null, flags } */
static napi_value interface_info(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  char ifname[IF_NAMESIZE];
  if (!get_string(env, argv[0], ifname, sizeof ifname) || !*ifname) return throw_type(env, "interface name must be a string of 1 to 15 characters");
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket(AF_INET, SOCK_DGRAM)", ifname);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
  if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "ioctl(SIOCGIFINDEX)", ifname);
  }
  int index = ifr.ifr_ifindex;
  int has_mac = 0;
  unsigned char mac[6];
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) == 0 && ifr.ifr_hwaddr.sa_family == 1 /* ARPHRD_ETHER */) {
    memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    has_mac = 1;
  }
  int flags = 0;
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) flags = ifr.ifr_flags & 0xffff;
  close(fd);
  napi_value out, v;
  napi_create_object(env, &out);
  napi_create_int32(env, index, &v);
  napi_set_named_property(env, out, "index", v);
  if (has_mac) {
    void *copy;
    napi_create_buffer_copy(env, 6, mac, &copy, &v);
  } else {
    napi_get_null(env, &v);
  }
  napi_set_named_property(env, out, "mac", v);
  napi_create_int32(env, flags, &v);
  napi_set_named_property(env, out, "flags", v);
  return out;
}

/* ------------------------------------------------------------------------------------------ */
/* Syslog datagrams */

/*
 * Node has no AF_UNIX datagram socket, and syslog daemons (rsyslog, journald, busybox) read
 * /dev/log as one. The line is formatted in TypeScript (src/daemon/syslog-format.ts); this only
 * hands it over. The socket stays unconnected and each line goes with sendto() to the path, so a
 * syslog daemon that restarts (new socket at the same path) is found again with no reconnect
 * logic, as glibc's syslog() manages by reconnecting.
 */
typedef struct {
  int fd;
  struct sockaddr_un addr;
  socklen_t addrlen;
} logsock;

static void log_finalize(napi_env env, void *data, void *hint) {
  logsock *l = data;
  if (l->fd >= 0) close(l->fd);
  free(l);
}

static logsock *get_log(napi_env env, napi_value v) {
  void *p = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  return p;
}

/* syslogOpen(path) -> handle. The path need not exist yet: sends fail (and are counted) until it does. */
static napi_value syslog_open(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  logsock probe;
  if (!get_string(env, argv[0], probe.addr.sun_path, sizeof probe.addr.sun_path) || !probe.addr.sun_path[0])
    return throw_type(env, "syslog socket path must be a string of 1 to 107 bytes");
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket(AF_UNIX, SOCK_DGRAM)", NULL);
  logsock *l = calloc(1, sizeof *l);
  if (!l) {
    close(fd);
    return throw_errno(env, ENOMEM, "syslogOpen", NULL);
  }
  l->fd = fd;
  l->addr.sun_family = AF_UNIX;
  memcpy(l->addr.sun_path, probe.addr.sun_path, sizeof l->addr.sun_path);
  l->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(l->addr.sun_path) + 1);
  napi_value handle;
  if (napi_create_external(env, l, log_finalize, NULL, &handle) != napi_ok) {
    close(fd);
    free(l);
    return NULL;
  }
  return handle;
}

/*
 * syslogSend(handle, line: Uint8Array) -> errno (0 when sent).
 * Never blocks: a syslog daemon that is absent, gone or behind must not hold up VRRP, so the
 * errors that mean "nobody is reading right now" come back as a number for the caller to count.
 * Anything else (a closed handle, bad arguments) is thrown.
 */
static napi_value syslog_send(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  logsock *l = get_log(env, argv[0]);
  if (!l) return throw_type(env, "not a syslog socket");
  void *data;
  size_t len;
  if (!get_bytes(env, argv[1], &data, &len)) return throw_type(env, "line must be a Uint8Array");
  if (l->fd < 0) return throw_errno(env, EBADF, "sendto", NULL);
  ssize_t n;
  do n = sendto(l->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&l->addr, l->addrlen);
  while (n < 0 && errno == EINTR);
  int err = n < 0 ? errno : 0;
  switch (err) {
    case 0: case ENOENT: case ECONNREFUSED: case EAGAIN: case ENOBUFS: case ENOTCONN: case EMSGSIZE:
    case EACCES: case ENOTDIR: case EPROTOTYPE:
      break;
    default:
      return throw_errno(env, err, "sendto", NULL);
  }
  napi_value out;
  napi_create_int32(env, err, &out);
  return out;
}

static napi_value syslog_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  logsock *l = get_log(env, argv[0]);
  if (!l) return throw_type(env, "not a syslog socket");
  if (l->fd >= 0) {
    close(l->fd);
    l->fd = -1;
  }
  return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* An fd watched by uv_poll with a JS callback: the base of the timer and of a TCP probe */

typedef struct {
  int fd;
  uv_poll_t *poll;
  napi_env env;
  napi_ref callback;
} polled;

static void polled_close(polled *p) {
  if (p->poll) {
    uv_poll_stop(p->poll);
    uv_close((uv_handle_t *)p->poll, on_handle_closed);
    p->poll = NULL;
  }
  if (p->fd >= 0) {
    close(p->fd);
    p->fd = -1;
  }
  if (p->callback) {
    napi_delete_reference(p->env, p->callback);
    p->callback = NULL;
  }
}

/* The finalizer of the external that carries a polled (first member of its struct). */
static void polled_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  polled_close(data);
  free(data);
}

/*
 * Watch fd (now owned by p, whose struct starts with it) for `events`, calling `on` with p as the
 * handle's data, and keep `callback`. Returns the external handle for JS, or NULL with a JS
 * exception pending (fd closed, p freed).
 */
static napi_value polled_start(napi_env env, polled *p, int fd, napi_value callback, int events, uv_poll_cb on) {
  uv_poll_t *poll = calloc(1, sizeof *poll);
  uv_loop_t *loop = NULL;
  p->fd = fd;
  p->env = env;
  if (!poll || napi_get_uv_event_loop(env, &loop) != napi_ok) {
    free(poll);
    polled_close(p);
    free(p);
    return throw_errno(env, ENOMEM, "uv_poll_init", NULL);
  }
  int rc = uv_poll_init(loop, poll, fd);
  if (rc < 0) {
    free(poll);
    polled_close(p);
    free(p);
    return throw_errno(env, -rc, "uv_poll_init", NULL);
  }
  poll->data = p;
  p->poll = poll;
  napi_create_reference(env, callback, 1, &p->callback);
  uv_poll_start(poll, events, on);
  napi_value handle;
  if (napi_create_external(env, p, polled_finalize, NULL, &handle) != napi_ok) {
    polled_close(p);
    free(p);
    return NULL;
  }
  return handle;
}

/* Call a kept JS callback from a libuv callback; an exception it throws is reported as uncaught. */
static void polled_call(napi_env env, napi_ref ref, size_t argc, napi_value *argv) {
  napi_value cb, recv, result;
  if (!ref || napi_get_reference_value(env, ref, &cb) != napi_ok || !cb) return;
  napi_get_global(env, &recv);
  if (napi_make_callback(env, NULL, recv, cb, argc, argv, &result) == napi_pending_exception) {
    napi_value exc;
    napi_get_and_clear_last_exception(env, &exc);
    napi_fatal_exception(env, exc);
  }
}

static void *get_external(napi_env env, napi_value v) {
  void *p = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  return p;
}

/* ------------------------------------------------------------------------------------------ */
/* Precise timer */

typedef struct {
  polled base;
  int armed;
} hrtimer;

static void on_timer(uv_poll_t *h, int status, int events) {
  (void)status;
  (void)events;
  hrtimer *t = h->data;
  uint64_t expirations;
  /* Drain the expiry count; EAGAIN means a re-arm raced the wake-up: nothing is due. */
  if (read(t->base.fd, &expirations, sizeof expirations) != (ssize_t)sizeof expirations) return;
  t->armed = 0;
  uv_unref((uv_handle_t *)h);
  napi_handle_scope scope;
  if (napi_open_handle_scope(t->base.env, &scope) != napi_ok) return;
  polled_call(t->base.env, t->base.callback, 0, NULL);
  napi_close_handle_scope(t->base.env, scope);
}

/* timerOpen(callback) -> handle. One timerfd on CLOCK_MONOTONIC (the clock of process.hrtime). */
static napi_value timer_open(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  napi_valuetype type;
  if (napi_typeof(env, argv[0], &type) != napi_ok || type != napi_function) return throw_type(env, "callback must be a function");
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "timerfd_create", NULL);
  /* The kernel may defer this thread's wake-ups by its timer slack (50 µs by default) to batch
   * them; an advert timer wants the deadline itself. Best effort: a failure leaves the default. */
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
  hrtimer *t = calloc(1, sizeof *t);
  if (!t) {
    close(fd);
    return throw_errno(env, ENOMEM, "timerOpen", NULL);
  }
  napi_value handle = polled_start(env, &t->base, fd, argv[0], UV_READABLE, on_timer);
  /* An idle timer must not keep the process alive; an armed one does, as setTimeout. */
  if (handle) uv_unref((uv_handle_t *)t->base.poll);
  return handle;
}

/* timerArm(handle, deadlineUs): fire once at CLOCK_MONOTONIC deadlineUs (µs); 0 disarms. */
static napi_value timer_arm(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  hrtimer *t = get_external(env, argv[0]);
  if (!t || t->base.fd < 0) return throw_type(env, "not an open timer");
  int64_t us;
  if (napi_get_value_int64(env, argv[1], &us) != napi_ok || us < 0) return throw_type(env, "deadline must be a non-negative number of microseconds");
  struct itimerspec its;
  memset(&its, 0, sizeof its);
  if (us > 0) {
    its.it_value.tv_sec = us / 1000000;
    its.it_value.tv_nsec = (us % 1000000) * 1000;
    /* A deadline already past would be 0 = disarm: make it the smallest real time instead. */
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0) its.it_value.tv_nsec = 1;
  }
  if (timerfd_settime(t->base.fd, TFD_TIMER_ABSTIME, &its, NULL) < 0) return throw_errno(env, errno, "timerfd_settime", NULL);
  if (us > 0 && !t->armed) uv_ref((uv_handle_t *)t->base.poll);
  if (us == 0 && t->armed) uv_unref((uv_handle_t *)t->base.poll);
  t->armed = us > 0;
  return NULL;
}

static napi_value timer_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  hrtimer *t = get_external(env, argv[0]);
  if (!t) return throw_type(env, "not a timer");
  polled_close(&t->base);
  return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* TCP connect probe (TCP_CHECK)
 *
 * A non-blocking connect watched by uv_poll, the way keepalived's check_tcp.c does it: success is
 * the connection completing, then the socket is closed. Node's net.Socket costs ~200 µs of CPU
 * per check (stream objects, GC) for what is a connect and a close; this costs the two system
 * calls. It also sets what Node cannot: SO_BINDTODEVICE (bind_if) and SO_MARK (fwmark). */

static void on_probe(uv_poll_t *h, int status, int events) {
  (void)events;
  polled *p = h->data;
  int err = 0;
  socklen_t len = sizeof err;
  /* libuv reports POLLERR (a refused or failed connect) as status UV_EBADF: the socket's own
   * error says what happened. */
  if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
  if (!err && status < 0) err = -status;
  napi_env env = p->env;
  napi_ref cbref = p->callback;
  p->callback = NULL; /* kept for the call below, released after it */
  polled_close(p);
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) == napi_ok) {
    napi_value arg;
    napi_create_int32(env, err, &arg);
    polled_call(env, cbref, 1, &arg);
    napi_close_handle_scope(env, scope);
  }
  if (cbref) napi_delete_reference(env, cbref);
}

/* An address and port (IPv4 or IPv6 text; scope from ifname for IPv6) into sa; 0 on bad text. */
static int fill_sockaddr(const char *text, int port, const char *ifname, struct sockaddr_storage *sa, socklen_t *len) {
  memset(sa, 0, sizeof *sa);
  struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;
  if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    *len = sizeof *v4;
    return 1;
  }
  if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    if (ifname && *ifname && IN6_IS_ADDR_LINKLOCAL(&v6->sin6_addr)) v6->sin6_scope_id = if_nametoindex(ifname);
    *len = sizeof *v6;
    return 1;
  }
  return 0;
}

/*
 * The connect both probes start with: args [address, port, bindAddress|null, bindPort,
 * bindIf|null, mark] read from argv, a non-blocking socket with SO_BINDTODEVICE / SO_MARK / bind
 * as asked, and connect() started. Returns 1 with *fd set, or 1 with *fd = -1 and *err the errno
 * it failed with at once; 0 with a JS exception pending on bad arguments.
 */
static int start_connect(napi_env env, napi_value *argv, int *fd_out, int *err_out) {
  char addr[INET6_ADDRSTRLEN + 1], baddr[INET6_ADDRSTRLEN + 1], bif[IF_NAMESIZE];
  int32_t port, bport, mark;
  *fd_out = -1;
  *err_out = 0;
  if (!get_string(env, argv[0], addr, sizeof addr)) return throw_type(env, "address must be an IP address"), 0;
  if (!get_int(env, argv[1], &port) || port < 0 || port > 65535) return throw_type(env, "port must be 0-65535"), 0;
  int bind_addr = !is_nullish(env, argv[2]);
  if (bind_addr && !get_string(env, argv[2], baddr, sizeof baddr)) return throw_type(env, "bind address must be an IP address or null"), 0;
  if (!get_int(env, argv[3], &bport) || bport < 0 || bport > 65535) return throw_type(env, "bind port must be 0-65535"), 0;
  bif[0] = 0;
  if (!is_nullish(env, argv[4]) && !get_string(env, argv[4], bif, sizeof bif)) return throw_type(env, "bind interface must be a name or null"), 0;
  if (!get_int(env, argv[5], &mark)) return throw_type(env, "mark must be a number"), 0;
  struct sockaddr_storage to, from;
  socklen_t tolen = 0, fromlen = 0;
  if (!fill_sockaddr(addr, port, bif, &to, &tolen)) return throw_type(env, "address must be an IP address"), 0;
  if (bind_addr && !fill_sockaddr(baddr, bport, bif, &from, &fromlen)) return throw_type(env, "bind address must be an IP address"), 0;
  if (bind_addr && from.ss_family != to.ss_family) return throw_type(env, "bind address and address must be of one family"), 0;
  int fd = socket(to.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int err = 0;
  if (fd < 0) err = errno;
  if (!err && bif[0] && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, bif, (socklen_t)strlen(bif) + 1) < 0) err = errno;
  if (!err && mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) < 0) err = errno;
  if (!err && !bind_addr && bport > 0) {
    /* A source port without a source address: the wildcard of the family. */
    memset(&from, 0, sizeof from);
    from.ss_family = to.ss_family;
    if (to.ss_family == AF_INET) ((struct sockaddr_in *)&from)->sin_port = htons((uint16_t)bport), fromlen = sizeof(struct sockaddr_in);
    else ((struct sockaddr_in6 *)&from)->sin6_port = htons((uint16_t)bport), fromlen = sizeof(struct sockaddr_in6);
    bind_addr = 1;
  }
  if (!err && bind_addr && bind(fd, (struct sockaddr *)&from, fromlen) < 0) err = errno;
  if (!err && connect(fd, (struct sockaddr *)&to, tolen) < 0 && errno != EINPROGRESS) err = errno;
  if (err) {
    if (fd >= 0) close(fd);
    *err_out = err;
    return 1;
  }
  *fd_out = fd;
  return 1;
}

/*
 * tcpProbe(address, port, bindAddress|null, bindPort, bindIf|null, mark, callback(errno)) ->
 * handle, or an errno (number) when the connect failed at once. The callback gets 0 when the
 * connection completed (the socket is then closed) or the errno it failed with; it is never
 * called synchronously, nor after tcpProbeCancel(handle).
 */
static napi_value tcp_probe(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!get_args(env, info, 7, argv)) return NULL;
  napi_valuetype type;
  if (napi_typeof(env, argv[6], &type) != napi_ok || type != napi_function) return throw_type(env, "callback must be a function");
  int fd, err;
  if (!start_connect(env, argv, &fd, &err)) return NULL;
  if (fd < 0) {
    napi_value out;
    napi_create_int32(env, err, &out);
    return out;
  }
  polled *p = calloc(1, sizeof *p);
  if (!p) {
    close(fd);
    return throw_errno(env, ENOMEM, "tcpProbe", NULL);
  }
  return polled_start(env, p, fd, argv[6], UV_WRITABLE, on_probe);
}

/* tcpProbeCancel(handle): abandon a probe (its timeout): the socket is closed, no callback. */
static napi_value tcp_probe_cancel(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  polled *p = get_external(env, argv[0]);
  if (!p) return throw_type(env, "not a probe");
  polled_close(p);
  return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* HTTP exchange (HTTP_GET)
 *
 * What keepalived's check_http.c does on a plain connection: connect, send the request, read to
 * EOF; one timeout (connect_timeout) for the connect and again for each write and read. The bytes
 * go back to JavaScript, which judges them (src/check/http-response.ts). Node's net.Socket costs
 * ~150 µs of CPU per check in stream objects, promises and GC for this; at 10,000 checks a second
 * that is most of a core. */

enum { EX_CONNECTING, EX_WRITING, EX_READING };
/* Callback kinds: more bytes follow; the stream ended (errno 0 = EOF, else the read error);
 * the connect failed (errno); the write failed (errno); no progress within the timeout (phase). */
enum { EXK_DATA, EXK_END, EXK_CONNECT_FAILED, EXK_WRITE_FAILED, EXK_TIMEOUT };
#define EX_DELIVER_AT (256 * 1024)

typedef struct {
  polled base;
  uv_timer_t *timer;
  napi_ref self; /* the handle, kept alive until the last callback returns */
  int reporting; /* inside a callback: a cancel there must not release the handle yet */
  int phase;
  uint64_t timeout_ms;
  char *req;
  size_t req_len, req_off;
  char *buf;
  size_t len, cap;
} exchange;


/* Close the socket and timer; the struct stays until its handle is collected. */
static void exchange_close(exchange *x) {
  if (x->timer) {
    uv_timer_stop(x->timer);
    uv_close((uv_handle_t *)x->timer, on_handle_closed);
    x->timer = NULL;
  }
  polled_close(&x->base);
  free(x->req);
  x->req = NULL;
  free(x->buf);
  x->buf = NULL;
  x->len = x->cap = 0;
}

/* Let the handle be collected (its finalizer frees the struct). */
static void exchange_release(exchange *x) {
  if (x->self) {
    napi_ref self = x->self;
    x->self = NULL;
    napi_delete_reference(x->base.env, self);
  }
}

/* Call back with (kind, code, bytes|undefined); the last call (kind != EXK_DATA) closes first. */
static void exchange_report(exchange *x, int kind, int code) {
  napi_env env = x->base.env;
  napi_ref cbref = x->base.callback;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value argv[3];
  napi_create_int32(env, kind, &argv[0]);
  napi_create_int32(env, code, &argv[1]);
  if ((kind == EXK_DATA || kind == EXK_END) && x->len) napi_create_buffer_copy(env, x->len, x->buf, NULL, &argv[2]);
  else napi_get_undefined(env, &argv[2]);
  x->len = 0;
  if (kind != EXK_DATA) {
    x->base.callback = NULL; /* kept for the call below, released after it */
    exchange_close(x);
  }
  x->reporting = 1;
  polled_call(env, cbref, 3, argv);
  x->reporting = 0;
  if (kind != EXK_DATA && cbref) napi_delete_reference(env, cbref);
  if (!x->timer) exchange_release(x); /* finished, or cancelled by the callback */
  napi_close_handle_scope(env, scope);
}

static void on_exchange_timeout(uv_timer_t *t) {
  exchange *x = t->data;
  exchange_report(x, EXK_TIMEOUT, x->phase);
}

/* Any progress restarts the timeout, as keepalived re-arms its read/write thread each time. */
static void exchange_progress(exchange *x) {
  uv_timer_start(x->timer, on_exchange_timeout, x->timeout_ms, 0);
}

static void on_exchange(uv_poll_t *h, int status, int events) {
  (void)events;
  exchange *x = h->data;
  int fd = x->base.fd;
  if (x->phase == EX_CONNECTING) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    if (!err && status < 0) err = -status;
    if (err) return exchange_report(x, EXK_CONNECT_FAILED, err);
    x->phase = EX_WRITING;
    exchange_progress(x);
  }
  if (x->phase == EX_WRITING) {
    while (x->req_off < x->req_len) {
      ssize_t n = send(fd, x->req + x->req_off, x->req_len - x->req_off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return; /* writable again later */
      if (n < 0) return exchange_report(x, EXK_WRITE_FAILED, errno);
      x->req_off += (size_t)n;
      exchange_progress(x);
    }
    x->phase = EX_READING;
    uv_poll_start(x->base.poll, UV_READABLE, on_exchange);
    return;
  }
  /* Reading: until EOF, a read error, or nothing more for now. */
  for (;;) {
    if (x->cap - x->len < 16384) {
      size_t cap = x->cap ? x->cap * 2 : 16384;
      char *b = realloc(x->buf, cap);
      if (!b) return exchange_report(x, EXK_END, ENOMEM);
      x->buf = b;
      x->cap = cap;
    }
    ssize_t n = recv(fd, x->buf + x->len, x->cap - x->len, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) return exchange_report(x, EXK_END, n < 0 ? errno : 0);
    x->len += (size_t)n;
    exchange_progress(x);
    if (x->len >= EX_DELIVER_AT) exchange_report(x, EXK_DATA, 0);
    if (!x->timer) return; /* the callback cancelled it */
  }
}

/*
 * httpExchange(address, port, bindAddress|null, bindPort, bindIf|null, mark, request, timeoutMs,
 * callback(kind, code, bytes)) -> handle, or an errno (number) when the connect failed at once.
 * The callback runs with EXK_DATA for each large run of bytes, then once with a final kind; it is
 * never called synchronously, nor after httpExchangeCancel(handle).
 */
static napi_value http_exchange(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  if (!get_args(env, info, 9, argv)) return NULL;
  void *req;
  size_t req_len;
  if (!get_bytes(env, argv[6], &req, &req_len) || !req_len) return throw_type(env, "request must be a non-empty Buffer");
  int32_t timeout_ms;
  if (!get_int(env, argv[7], &timeout_ms) || timeout_ms < 1) return throw_type(env, "timeout must be a positive number of ms");
  napi_valuetype type;
  if (napi_typeof(env, argv[8], &type) != napi_ok || type != napi_function) return throw_type(env, "callback must be a function");
  int fd, err;
  if (!start_connect(env, argv, &fd, &err)) return NULL;
  napi_value out;
  if (fd < 0) {
    napi_create_int32(env, err, &out);
    return out;
  }
  exchange *x = calloc(1, sizeof *x);
  uv_timer_t *timer = calloc(1, sizeof *timer);
  char *copy = malloc(req_len);
  uv_loop_t *loop = NULL;
  if (!x || !timer || !copy || napi_get_uv_event_loop(env, &loop) != napi_ok) {
    free(x), free(timer), free(copy);
    close(fd);
    return throw_errno(env, ENOMEM, "httpExchange", NULL);
  }
  memcpy(copy, req, req_len);
  x->req = copy;
  x->req_len = req_len;
  x->timeout_ms = (uint64_t)timeout_ms;
  x->phase = EX_CONNECTING;
  uv_timer_init(loop, timer);
  timer->data = x;
  x->timer = timer;
  out = polled_start(env, &x->base, fd, argv[8], UV_WRITABLE, on_exchange);
  if (!out) {
    /* polled_start freed x: the timer is ours to close. */
    uv_close((uv_handle_t *)timer, on_handle_closed);
    free(copy);
    return NULL;
  }
  napi_create_reference(env, out, 1, &x->self);
  exchange_progress(x);
  return out;
}

/* httpExchangeCancel(handle): abandon an exchange: the socket is closed, no callback. */
static napi_value http_exchange_cancel(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  exchange *x = get_external(env, argv[0]);
  if (!x) return throw_type(env, "not an exchange");
  exchange_close(x);
  if (!x->reporting) exchange_release(x);
  return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Process settings */

/* enterNetns(path): setns() into the network namespace file at path (e.g. /run/netns/NAME). */
static napi_value enter_netns(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  char path[4096];
  if (!get_string(env, argv[0], path, sizeof path) || !path[0]) return throw_type(env, "namespace path must be a non-empty string");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "open", NULL);
  int rc = setns(fd, CLONE_NEWNET);
  int err = errno;
  close(fd);
  if (rc < 0) return throw_errno(env, err, "setns", NULL);
  return NULL;
}

/* setRealtime(priority): SCHED_RR at priority (1..99); 0 goes back to SCHED_OTHER. */
static napi_value set_realtime(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t prio;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!get_int(env, argv[0], &prio) || prio < 0 || prio > 99) return throw_type(env, "priority must be 0..99");
  struct sched_param sp = { .sched_priority = prio };
  if (sched_setscheduler(0, prio ? SCHED_RR : SCHED_OTHER, &sp) < 0) return throw_errno(env, errno, "sched_setscheduler", NULL);
  return NULL;
}

/*
 * setRlimitRttime(usec): the CPU a real-time thread may use without blocking before SIGXCPU (the
 * soft limit). The hard limit (SIGKILL) stays unlimited: a JavaScript task (a reload's parse, a
 * garbage collection) can run longer than keepalived's C handlers, and killing the VRRP process
 * for it would cause the very failover real-time scheduling is meant to prevent.
 */
static napi_value set_rlimit_rttime(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t usec;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!get_int(env, argv[0], &usec) || usec < 1) return throw_type(env, "limit must be a positive number of microseconds");
  struct rlimit rl = { .rlim_cur = (rlim_t)usec, .rlim_max = RLIM_INFINITY };
  if (setrlimit(RLIMIT_RTTIME, &rl) < 0) return throw_errno(env, errno, "setrlimit(RLIMIT_RTTIME)", NULL);
  return NULL;
}

/* setAffinity(cpus: number[]): run on these CPUs only. */
static napi_value set_affinity(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  uint32_t n = 0;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (napi_get_array_length(env, argv[0], &n) != napi_ok || n == 0) return throw_type(env, "cpus must be a non-empty array");
  cpu_set_t set;
  CPU_ZERO(&set);
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    int32_t cpu;
    if (napi_get_element(env, argv[0], i, &e) != napi_ok || !get_int(env, e, &cpu) || cpu < 0 || cpu >= CPU_SETSIZE)
      return throw_type(env, "cpus must be CPU numbers");
    CPU_SET(cpu, &set);
  }
  if (sched_setaffinity(0, sizeof set, &set) < 0) return throw_errno(env, errno, "sched_setaffinity", NULL);
  return NULL;
}

/* ------------------------------------------------------------------------------------------ */

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "vrrp6Open", NULL, vrrp6_open, NULL, NULL, NULL, napi_enumerable, NULL },
    { "vrrp6Send", NULL, vrrp6_send, NULL, NULL, NULL, napi_enumerable, NULL },
    { "vrrp6Close", NULL, vrrp6_close, NULL, NULL, NULL, napi_enumerable, NULL },
    { "packetOpen", NULL, packet_open, NULL, NULL, NULL, napi_enumerable, NULL },
    { "packetSend", NULL, packet_send, NULL, NULL, NULL, napi_enumerable, NULL },
    { "packetClose", NULL, packet_close, NULL, NULL, NULL, napi_enumerable, NULL },
    { "interfaceInfo", NULL, interface_info, NULL, NULL, NULL, napi_enumerable, NULL },
    { "syslogOpen", NULL, syslog_open, NULL, NULL, NULL, napi_enumerable, NULL },
    { "syslogSend", NULL, syslog_send, NULL, NULL, NULL, napi_enumerable, NULL },
    { "syslogClose", NULL, syslog_close, NULL, NULL, NULL, napi_enumerable, NULL },
    { "timerOpen", NULL, timer_open, NULL, NULL, NULL, napi_enumerable, NULL },
    { "tcpProbe", NULL, tcp_probe, NULL, NULL, NULL, napi_enumerable, NULL },
    { "tcpProbeCancel", NULL, tcp_probe_cancel, NULL, NULL, NULL, napi_enumerable, NULL },
    { "httpExchange", NULL, http_exchange, NULL, NULL, NULL, napi_enumerable, NULL },
    { "httpExchangeCancel", NULL, http_exchange_cancel, NULL, NULL, NULL, napi_enumerable, NULL },
    { "timerArm", NULL, timer_arm, NULL, NULL, NULL, napi_enumerable, NULL },
    { "timerClose", NULL, timer_close, NULL, NULL, NULL, napi_enumerable, NULL },
    { "enterNetns", NULL, enter_netns, NULL, NULL, NULL, napi_enumerable, NULL },
    { "setRealtime", NULL, set_realtime, NULL, NULL, NULL, napi_enumerable, NULL },
    { "setRlimitRttime", NULL, set_rlimit_rttime, NULL, NULL, NULL, napi_enumerable, NULL },
    { "setAffinity", NULL, set_affinity, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
