/*
 * Calls a real GlusterFS build's _gf_event() (libglusterfs) the way a 3.x
 * glfsheal reaches it: the volfile server is the unix socket path NAME.
 * Built by gluster-legacy-kit's tests against that build's own headers.
 * It listens on 127.0.0.1:24009 and [::1]:24009 (EVENT_PORT, both families,
 * as upstream's fixed glustereventsd does; run it in a private network
 * namespace), then prints each return code (0 EVENT_SEND_OK, 5
 * EVENT_ERROR_RESOLVE, ...), "received N", the datagrams that arrived, and
 * "v4 A v6 B", how many came in on each family. Where ::1 cannot be bound
 * (lo down, IPv6 off) it listens on IPv4 only and says "no ipv6 listener".
 *
 *   real_gf_event NAME K
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include "glusterfs.h"
#include "globals.h"
#include "xlator.h"

int _gf_event(int event, const char *fmt, ...);

int
main(int argc, char **argv)
{
    struct sockaddr_in at = {.sin_family = AF_INET, .sin_port = htons(24009)};
    struct sockaddr_in6 at6 = {.sin6_family = AF_INET6,
                               .sin6_port = htons(24009)};
    struct pollfd fds[2];
    glusterfs_ctx_t *ctx;
    char buf[512];
    int i, k, got[2] = {0, 0};
    int one = 1;
    int nfds = 2;

    if (argc != 3)
        return 2;
    /* fds[0]: IPv4, fds[1]: IPv6; a family that cannot be bound (lo down,
     * IPv6 off) is said and left out, so a send that must fail can be
     * tried too. */
    fds[0].fd = socket(AF_INET, SOCK_DGRAM, 0);
    at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fds[0].fd < 0 ||
        bind(fds[0].fd, (struct sockaddr *)&at, sizeof(at)) != 0) {
        printf("no ipv4 listener\n");
        fds[0].fd = -1;
    }
    at6.sin6_addr = in6addr_loopback;
    fds[1].fd = socket(AF_INET6, SOCK_DGRAM, 0);
    if (fds[1].fd >= 0)
        setsockopt(fds[1].fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (fds[1].fd < 0 ||
        bind(fds[1].fd, (struct sockaddr *)&at6, sizeof(at6)) != 0) {
        printf("no ipv6 listener\n");
        fds[1].fd = -1;
    }
    /* poll() skips negative descriptors. */
    fds[0].events = fds[1].events = POLLIN;
    ctx = glusterfs_ctx_new();
    if (!ctx || glusterfs_globals_init(ctx))
        return 2;
    THIS->ctx = ctx;
    /* No xlator set up memory accounting; plain calloc as a client without it. */
    ctx->mem_acct_enable = 0;
    ctx->cmd_args.volfile_server = argv[1];
    ctx->cmd_args.volfile_server_transport = "unix";
    k = atoi(argv[2]);
    for (i = 0; i < k; i++)
        printf("%d\n", _gf_event(1, "subvol=real-disperse-%d", i));
    /* Until nothing more arrives for 300 ms. */
    while (poll(fds, nfds, 300) > 0) {
        for (i = 0; i < nfds; i++) {
            if ((fds[i].revents & POLLIN) &&
                recv(fds[i].fd, buf, sizeof(buf), 0) > 0)
                got[i]++;
        }
    }
    printf("received %d\n", got[0] + got[1]);
    printf("v4 %d v6 %d\n", got[0], got[1]);
    return 0;
}
