/*
 * getaddrinfo probe for comparing C libraries (gluster-legacy-kit).
 *
 * Built twice: against the host's glibc (by verify's build script) and
 * against the kit's glibc 2.17 (by the tests, with that prefix's headers,
 * crt files and loader), so that one program measures the real 2.17
 * resolver and the legacy-resolver layer side by side.
 *
 *   gai_probe NAME [COUNT]   getaddrinfo(NAME, NULL, AF_UNSPEC) COUNT times
 *                            (default 1), as 3.12's _gf_event() calls it
 *                            once per subvolume; one line per call:
 *                              call=I rc=R errno=E seconds=S [first=ADDR]
 *                            (first: the first answer's address, which
 *                            3.12's _gf_event() sends its event to)
 *                            then the C library's version:
 *                              libc=VERSION
 *
 * errno is printed because EAI_SYSTEM means "see errno": two resolvers
 * that return EAI_SYSTEM with different errnos still differ.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <gnu/libc-version.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
    long count = argc >= 3 ? atol(argv[2]) : 1;

    if (argc < 2 || count < 1) {
        fprintf(stderr, "usage: gai_probe NAME [COUNT]\n");
        return 2;
    }
    for (long i = 0; i < count; i++) {
        struct addrinfo hints, *res = NULL;
        double t;
        int rc, err;

        memset(&hints, 0, sizeof(hints));
        hints.ai_family = AF_UNSPEC;
        errno = 0;
        t = now();
        rc = getaddrinfo(argv[1], NULL, &hints, &res);
        err = errno;
        t = now() - t;
        printf("call=%ld rc=%d errno=%d seconds=%.3f", i, rc,
               rc == EAI_SYSTEM ? err : 0, t);
        if (rc == 0 && res) {
            char addr[INET6_ADDRSTRLEN] = "?";
            const void *in = res->ai_family == AF_INET
                                 ? (const void *)&((struct sockaddr_in *)res->ai_addr)->sin_addr
                                 : (const void *)&((struct sockaddr_in6 *)res->ai_addr)->sin6_addr;
            inet_ntop(res->ai_family, in, addr, sizeof(addr));
            printf(" first=%s", addr);
            freeaddrinfo(res);
        }
        printf("\n");
        fflush(stdout);
    }
    printf("libc=%s\n", gnu_get_libc_version());
    return 0;
}
