/*
 * Calls a real GlusterFS build's _gf_event() (libglusterfs) the way a 3.x
 * glfsheal reaches it: the volfile server is the unix socket path NAME.
 * Built by gluster-legacy-kit's tests against that build's own headers.
 * It listens on 127.0.0.1:24009 (EVENT_PORT; run it in a private network
 * namespace), then prints each return code (0 EVENT_SEND_OK, 5
 * EVENT_ERROR_RESOLVE, ...) and "received N", the datagrams that arrived.
 *
 *   real_gf_event NAME K
 */
#include <arpa/inet.h>
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
    struct timeval wait = {.tv_sec = 0, .tv_usec = 300000};
    glusterfs_ctx_t *ctx;
    char buf[512];
    int i, k, n = 0;
    int sock;

    if (argc != 3)
        return 2;
    sock = socket(AF_INET, SOCK_DGRAM, 0);
    at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (sock < 0 || bind(sock, (struct sockaddr *)&at, sizeof(at)) != 0) {
        perror("binding 127.0.0.1:24009");
        return 2;
    }
    setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait));
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
    while (recv(sock, buf, sizeof(buf), 0) > 0)
        n++;
    printf("received %d\n", n);
    return 0;
}
