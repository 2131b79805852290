/*
 * The HTTP responder for the checker benchmarks: answers every connection on each address given
 * with one fixed HTTP/1.0 200 response and closes it, on one epoll loop. The benchmarks share two
 * cores between keel's checkers and the servers they check; a responder in C leaves the checkers
 * the CPU that real servers (other machines) would not take. Prints "HOST PORT,HOST PORT,..."
 * once listening, and "served N" (connections answered so far) on each SIGUSR1, which is how the
 * benchmarks count checks of a daemon that reports none (keepalived). Build: cc -O2 -o responder
 * responder.c
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_HOSTS 16
#define LISTENING (1ULL << 32)

static const char RESPONSE[] = "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n";

static volatile sig_atomic_t report;
static void on_usr1(int sig) { (void)sig; report = 1; }

int main(int argc, char **argv) {
  int ep = epoll_create1(0);
  if (ep < 0 || argc < 2 || argc - 1 > MAX_HOSTS) {
    fprintf(stderr, "usage: responder HOST...\n");
    return 2;
  }
  for (int i = 1; i < argc; i++) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    if (fd < 0 || inet_pton(AF_INET, argv[i], &a.sin_addr) != 1) return 2;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 4096) < 0 || getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
      perror("listen");
      return 1;
    }
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = LISTENING | (uint32_t)fd };
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    printf("%s%s %u", i > 1 ? "," : "", argv[i], ntohs(a.sin_port));
  }
  printf("\n");
  fflush(stdout);
  /* No SA_RESTART: the signal interrupts epoll_wait, and the count is printed at once. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  unsigned long long served = 0;
  struct epoll_event evs[256];
  char buf[4096];
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    if (report) {
      report = 0;
      printf("served %llu\n", served);
      fflush(stdout);
    }
    if (n < 0 && errno != EINTR) return 1;
    for (int i = 0; i < n; i++) {
      int fd = (int)(uint32_t)evs[i].data.u64;
      if (evs[i].data.u64 & LISTENING) {
        for (int c; (c = accept4(fd, NULL, NULL, SOCK_NONBLOCK)) >= 0;) {
          struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint32_t)c };
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
        }
        continue;
      }
      ssize_t r = read(fd, buf, sizeof buf);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (r > 0) {
        served++;
        if (write(fd, RESPONSE, sizeof RESPONSE - 1) < 0) { /* the peer is gone: just close */ }
      }
      close(fd);
    }
  }
}
