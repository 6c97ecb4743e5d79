/*
 * pudu-nfq: userspace packet path for the network fault where the kernel has no sch_netem.
 * Packets sent to an iptables NFQUEUE (with --queue-bypass, so traffic flows untouched if
 * this process dies) are held for latency ± jitter, or corrupted with a probability, then
 * released.
 *
 * usage: pudu-nfq --queue N [--delay-ms D] [--jitter-ms J] [--corrupt-pct P] [--seed S]
 *                 [--name NAME] [--detached]
 *        pudu-nfq NAME QUEUE DELAY_MS JITTER_MS CORRUPT_PCT SEED   (as a service of its own)
 * Prints "ready" on stdout once bound to the queue. Without --detached it dies with its
 * parent (PR_SET_PDEATHSIG); with a NAME it shows only that name in `ps`.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RING_SIZE 65536u
#define QUEUE_MAXLEN 16384u

struct held { uint32_t id; int64_t due_ns; };

static struct held ring[RING_SIZE];
static uint32_t head, tail; /* packets in [head, tail) are waiting */
static int64_t last_due_ns;
static double delay_ms, jitter_ms, corrupt_pct;
static struct nfq_q_handle *qh;
static volatile sig_atomic_t stopping;
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* xorshift64*: seeded, so a run can be replayed */
static double rand01(void) {
  rng_state ^= rng_state >> 12; rng_state ^= rng_state << 25; rng_state ^= rng_state >> 27;
  return (double)((rng_state * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static int on_packet(struct nfq_q_handle *q, struct nfgenmsg *msg, struct nfq_data *nfa, void *data) {
  (void)msg; (void)data;
  struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
  if (!ph) return 0;
  uint32_t id = ntohl(ph->packet_id);
  if (corrupt_pct > 0 && rand01() * 100.0 < corrupt_pct) {
    unsigned char *payload;
    int len = nfq_get_payload(nfa, &payload);
    if (len >= 20) {
      /*
       * Flip one bit of the IP identification field: the header checksum no longer holds and
       * the receiving kernel drops the packet, as it would after a bit error on the wire.
       * (A bit flipped in the payload could go unnoticed: veth and many NICs skip the
       * transport checksum check for packets marked as already verified.)
       */
      int off = 4 + (int)(rand01() * 2);
      payload[off] ^= (unsigned char)(1u << (int)(rand01() * 8));
      return nfq_set_verdict(q, id, NF_ACCEPT, (uint32_t)len, payload);
    }
  }
  if (delay_ms <= 0 || tail - head >= RING_SIZE) return nfq_set_verdict(q, id, NF_ACCEPT, 0, NULL);
  double ms = delay_ms + (jitter_ms > 0 ? (rand01() * 2.0 - 1.0) * jitter_ms : 0);
  int64_t due = now_ns() + (int64_t)(ms * 1e6);
  if (due < last_due_ns) due = last_due_ns; /* keep order, as a FIFO link would */
  last_due_ns = due;
  ring[tail % RING_SIZE] = (struct held){ id, due };
  tail++;
  return 0;
}

static void release_due(int all) {
  int64_t t = now_ns();
  while (head != tail && (all || ring[head % RING_SIZE].due_ns <= t)) {
    nfq_set_verdict(qh, ring[head % RING_SIZE].id, NF_ACCEPT, 0, NULL);
    head++;
  }
}

static void on_term(int sig) { (void)sig; stopping = 1; }

/*
 * Blanks the command line so `ps` shows only the process name: the options say what the
 * process does to packets, which is for the trainee to find out, not to read.
 */
static void hide_args(int argc, char **argv, const char *name) {
  char *end = argv[argc - 1] + strlen(argv[argc - 1]);
  memset(argv[0], 0, (size_t)(end - argv[0]));
  strncpy(argv[0], name, (size_t)(end - argv[0]));
  prctl(PR_SET_NAME, name);
}

int main(int argc, char **argv) {
  int queue = -1;
  int detached = 0;
  const char *name = NULL;
  /* As a service: NAME QUEUE DELAY_MS JITTER_MS CORRUPT_PCT SEED — plain numbers in its unit, no option names. */
  if (argc == 7 && argv[2][0] >= '0' && argv[2][0] <= '9') {
    name = argv[1];
    queue = atoi(argv[2]);
    delay_ms = atof(argv[3]);
    jitter_ms = atof(argv[4]);
    corrupt_pct = atof(argv[5]);
    rng_state = strtoull(argv[6], NULL, 10) | 1;
    detached = 1;
    argc = 0;
  }
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--detached")) { detached = 1; continue; }
    if (i + 1 >= argc) { fprintf(stderr, "pudu-nfq: option %s needs a value\n", argv[i]); return 2; }
    if (!strcmp(argv[i], "--name")) name = argv[++i];
    else if (!strcmp(argv[i], "--queue")) queue = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--delay-ms")) delay_ms = atof(argv[++i]);
    else if (!strcmp(argv[i], "--jitter-ms")) jitter_ms = atof(argv[++i]);
    else if (!strcmp(argv[i], "--corrupt-pct")) corrupt_pct = atof(argv[++i]);
    else if (!strcmp(argv[i], "--seed")) rng_state = strtoull(argv[++i], NULL, 10) | 1;
    else { fprintf(stderr, "pudu-nfq: unknown option %s\n", argv[i]); return 2; }
  }
  if (queue < 0 || queue > 65535) { fprintf(stderr, "pudu-nfq: --queue 0..65535 is required\n"); return 2; }
  /* --detached: a service of its own (systemd is the parent); otherwise it dies with its parent */
  if (!detached) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1) return 0; /* parent already gone */
  }
  if (name) hide_args(argc > 0 ? argc : 7, argv, name);
  signal(SIGTERM, on_term);
  signal(SIGINT, on_term);

  struct nfq_handle *h = nfq_open();
  if (!h) { perror("pudu-nfq: nfq_open"); return 1; }
  nfq_unbind_pf(h, AF_INET);
  if (nfq_bind_pf(h, AF_INET) < 0) { perror("pudu-nfq: nfq_bind_pf"); return 1; }
  qh = nfq_create_queue(h, (uint16_t)queue, &on_packet, NULL);
  if (!qh) { perror("pudu-nfq: nfq_create_queue (queue in use?)"); return 1; }
  if (nfq_set_mode(qh, NFQNL_COPY_PACKET, 0xffff) < 0) { perror("pudu-nfq: nfq_set_mode"); return 1; }
  nfq_set_queue_maxlen(qh, QUEUE_MAXLEN);
  /* when our queue is full the kernel lets packets through instead of dropping them */
  nfq_set_queue_flags(qh, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN);
  int fd = nfq_fd(h);
  int rcvbuf = 8 * 1024 * 1024;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
  printf("ready\n");
  fflush(stdout);

  static char buf[0x10000 + 4096];
  while (!stopping) {
    int timeout_ms = 1000;
    if (head != tail) {
      int64_t wait = ring[head % RING_SIZE].due_ns - now_ns();
      timeout_ms = wait <= 0 ? 0 : (int)((wait + 999999) / 1000000);
    }
    struct pollfd pfd = { fd, POLLIN, 0 };
    int pr = poll(&pfd, 1, timeout_ms);
    if (pr > 0 && (pfd.revents & POLLIN)) {
      for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0) break; /* EAGAIN, or ENOBUFS: the kernel dropped notifications; carry on */
        nfq_handle_packet(h, buf, (int)n);
      }
    }
    release_due(0);
  }
  release_due(1);
  nfq_destroy_queue(qh);
  nfq_close(h);
  return 0;
}
