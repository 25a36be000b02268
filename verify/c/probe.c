/*
 * Resolver probe for the tests and benchmarks (gluster-legacy-kit).
 *
 *   probe call NAME COUNT        getaddrinfo(NAME, NULL, AF_UNSPEC) COUNT times,
 *                                as 3.12's _gf_event() does once per subvolume;
 *                                prints "rc=R calls=N seconds=S ns_per_call=X"
 *   probe battery                a fixed set of lookups, printed canonically,
 *                                to compare results with and without the shim
 *   probe free NAME              loopback answer freed by libc's freeaddrinfo
 *   probe threads NAME T N       T threads x N calls each; prints "ok"
 *   probe fork NAME              the call in a forked child; prints "ok"
 *   probe dlopen SO              dlopen SO, call its getaddrinfo; prints "ok"
 *   probe ghbn NAME              the gethostbyname family on NAME
 *   probe events LOG NAME K      what a 3.12 glfsheal does for a K-subvolume
 *                                disperse volume: per subvolume, a "Going UP"
 *                                log line (ec_up), then _gf_event()'s calls
 *                                with the volfile server NAME (send_event);
 *                                prints like glfsheal
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
one_call(const char *name)
{
    struct addrinfo hints, *res = NULL;
    int rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    rc = getaddrinfo(name, NULL, &hints, &res);
    if (rc == 0)
        freeaddrinfo(res);
    return rc;
}

/*
 * get_ip_from_addrinfo() of 3.12's common-utils.c: the address of one
 * addrinfo as text, in a buffer of 64 bytes, then a copy.
 */
static char *
get_ip_from_addrinfo(struct addrinfo *addr, char **ip)
{
    char buf[64];
    void *in_addr = NULL;

    switch (addr->ai_family) {
    case AF_INET:
        in_addr = &((struct sockaddr_in *)addr->ai_addr)->sin_addr;
        break;
    case AF_INET6:
        in_addr = &((struct sockaddr_in6 *)addr->ai_addr)->sin6_addr;
        break;
    default:
        return NULL;
    }
    if (!inet_ntop(addr->ai_family, in_addr, buf, sizeof(buf)))
        return NULL;
    *ip = strdup(buf);
    return *ip;
}

/*
 * 3.12's _gf_event(), call for call: an AF_INET datagram socket;
 * getaddrinfo(volfile server, NULL, AF_UNSPEC); the FIRST answer as text
 * (get_ip_from_addrinfo); inet_addr() of that text into an AF_INET sockaddr
 * on the events port; sendto(). So a first answer of "::1" becomes
 * INADDR_NONE (255.255.255.255) and the event is lost, as on 3.12. The port
 * is 24009 (EVENT_PORT) unless EVENTS_PORT says otherwise (tests).
 */
static int
send_event(const char *server, int subvol)
{
    const char *port = getenv("EVENTS_PORT");
    struct sockaddr_in dest;
    struct addrinfo hints, *result = NULL;
    char *host = NULL;
    char msg[128];
    int ret = 0;
    int sock;

    sock = socket(AF_INET, SOCK_DGRAM, 0);
    if (sock < 0)
        return -1;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    if (getaddrinfo(server, NULL, &hints, &result) != 0) {
        ret = -2; /* EVENT_ERROR_RESOLVE */
        goto out;
    }
    if (get_ip_from_addrinfo(result, &host) == NULL) {
        ret = -2;
        goto out;
    }
    dest.sin_family = AF_INET;
    dest.sin_port = htons(atoi(port ? port : "24009"));
    dest.sin_addr.s_addr = inet_addr(host);
    memset(&dest.sin_zero, '\0', sizeof(dest.sin_zero));
    snprintf(msg, sizeof(msg), "%u %d subvol=probe-disperse-%d", (unsigned)time(NULL), 1, subvol);
    if (sendto(sock, msg, strlen(msg), 0, (struct sockaddr *)&dest, sizeof(dest)) <= 0)
        ret = -3; /* EVENT_ERROR_SEND */
out:
    close(sock);
    free(host);
    if (result)
        freeaddrinfo(result);
    return ret;
}

static void
dump(const char *label, const char *node, const char *service, int family,
     int socktype, int flags, int null_hints)
{
    struct addrinfo hints, *res = NULL, *ai;
    char addr[INET6_ADDRSTRLEN];
    int rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = family;
    hints.ai_socktype = socktype;
    hints.ai_flags = flags;
    rc = getaddrinfo(node, service, null_hints ? NULL : &hints, &res);
    printf("%s rc=%d\n", label, rc);
    for (ai = res; rc == 0 && ai; ai = ai->ai_next) {
        int port = 0;
        if (ai->ai_family == AF_INET) {
            struct sockaddr_in *s = (struct sockaddr_in *)ai->ai_addr;
            inet_ntop(AF_INET, &s->sin_addr, addr, sizeof(addr));
            port = ntohs(s->sin_port);
        } else {
            struct sockaddr_in6 *s = (struct sockaddr_in6 *)ai->ai_addr;
            inet_ntop(AF_INET6, &s->sin6_addr, addr, sizeof(addr));
            port = ntohs(s->sin6_port);
        }
        printf("  fam=%d type=%d proto=%d len=%u addr=%s port=%d canon=%s\n",
               ai->ai_family, ai->ai_socktype, ai->ai_protocol,
               (unsigned)ai->ai_addrlen, addr, port,
               ai->ai_canonname ? ai->ai_canonname : "-");
    }
    if (rc == 0)
        freeaddrinfo(res);
}

static void
battery(void)
{
    dump("localhost", "localhost", NULL, AF_UNSPEC, 0, 0, 0);
    dump("localhost-v4-stream", "localhost", NULL, AF_INET, SOCK_STREAM, 0, 0);
    dump("numeric-v4", "127.0.0.1", "80", AF_UNSPEC, 0, 0, 0);
    dump("numeric-v6", "::1", "443", AF_INET6, SOCK_DGRAM, 0, 0);
    dump("numeric-null-hints", "127.0.0.1", NULL, 0, 0, 0, 1);
    dump("service-name", "127.0.0.1", "domain", AF_INET, SOCK_DGRAM, 0, 0);
    dump("passive-null-node", NULL, "24007", AF_INET, SOCK_STREAM, AI_PASSIVE, 0);
    dump("null-node-null-service", NULL, NULL, AF_UNSPEC, 0, 0, 0);
    dump("numerichost-name", "localhost", NULL, AF_UNSPEC, 0, AI_NUMERICHOST, 0);
    dump("canonname", "localhost", NULL, AF_INET, SOCK_STREAM, AI_CANONNAME, 0);
    dump("numericserv-bad", "127.0.0.1", "http", AF_INET, 0, AI_NUMERICSERV, 0);
    dump("bad-family", "127.0.0.1", NULL, 12345, 0, 0, 0);
    dump("bad-flags", "127.0.0.1", NULL, AF_INET, 0, 0x40000, 0);
    dump("unknown-name", "no-such-host.invalid", NULL, AF_UNSPEC, 0, 0, 0);
    {
        struct hostent *h = gethostbyname("127.0.0.1");
        printf("ghbn-numeric %s len=%d\n", h ? h->h_name : "NULL", h ? h->h_length : -1);
        h = gethostbyname2("::1", AF_INET6);
        printf("ghbn2-numeric6 %s len=%d\n", h ? h->h_name : "NULL", h ? h->h_length : -1);
    }
}

static void *
worker(void *arg)
{
    const char **a = arg;
    long n = atol(a[1]);
    for (long i = 0; i < n; i++) {
        if (one_call(a[0]) == 0 && strchr(a[0], '/')) {
            fprintf(stderr, "path resolved?\n");
            exit(2);
        }
    }
    return NULL;
}

int
main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "call")) {
        long n = atol(argv[3]);
        int rc = 0;
        double t = now();
        for (long i = 0; i < n; i++)
            rc = one_call(argv[2]);
        t = now() - t;
        printf("rc=%d calls=%ld seconds=%.6f ns_per_call=%.1f\n", rc, n, t, t * 1e9 / n);
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "battery")) {
        battery();
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "free")) {
        struct addrinfo hints, *res = NULL;
        memset(&hints, 0, sizeof(hints));
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_DGRAM;
        hints.ai_flags = AI_CANONNAME;
        int rc = getaddrinfo(argv[2], "24009", &hints, &res);
        int n = 0;
        for (struct addrinfo *ai = res; rc == 0 && ai; ai = ai->ai_next)
            n++;
        if (rc == 0)
            freeaddrinfo(res);
        printf("rc=%d results=%d\n", rc, n);
        return 0;
    }
    if (argc >= 5 && !strcmp(argv[1], "threads")) {
        int t = atoi(argv[3]);
        pthread_t th[256];
        const char *args[2] = {argv[2], argv[4]};
        for (int i = 0; i < t && i < 256; i++)
            pthread_create(&th[i], NULL, worker, args);
        for (int i = 0; i < t && i < 256; i++)
            pthread_join(th[i], NULL);
        printf("ok\n");
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "fork")) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(one_call(argv[2]) == EAI_NONAME ? 0 : 3);
        int st = 0;
        waitpid(pid, &st, 0);
        printf(WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "ok\n" : "child failed\n");
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "dlopen")) {
        void *h = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            printf("dlopen: %s\n", dlerror());
            return 1;
        }
        int (*gai)(const char *, const char *, const struct addrinfo *, struct addrinfo **) =
            dlsym(h, "getaddrinfo");
        struct addrinfo *res = NULL;
        int a = gai("/var/run/glusterd.socket", NULL, NULL, &res);
        int b = gai("127.0.0.1", "80", NULL, &res);
        if (b == 0)
            freeaddrinfo(res);
        printf(a == EAI_NONAME && b == 0 ? "ok\n" : "bad a=%d b=%d\n", a, b);
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "ghbn")) {
        struct hostent he, *r = NULL, *h;
        char buf[1024];
        int herr = 0, rc;
        h = gethostbyname(argv[2]);
        printf("gethostbyname %s h_errno=%d\n", h ? h->h_name : "NULL", h ? 0 : h_errno);
        h = gethostbyname2(argv[2], AF_INET6);
        printf("gethostbyname2 %s len=%d\n", h ? h->h_name : "NULL", h ? h->h_length : -1);
        rc = gethostbyname_r(argv[2], &he, buf, sizeof(buf), &r, &herr);
        printf("gethostbyname_r rc=%d %s herr=%d\n", rc, r ? r->h_name : "NULL", herr);
        rc = gethostbyname2_r(argv[2], AF_INET6, &he, buf, sizeof(buf), &r, &herr);
        printf("gethostbyname2_r rc=%d %s herr=%d\n", rc, r ? r->h_name : "NULL", herr);
        rc = gethostbyname_r(argv[2], &he, buf, 8, &r, &herr);
        printf("gethostbyname_r-small rc=%d herr=%d\n", rc, herr);
        return 0;
    }
    if (argc >= 5 && !strcmp(argv[1], "events")) {
        FILE *log = fopen(argv[2], "a");
        int k = atoi(argv[4]);
        for (int i = 0; log && i < k; i++) {
            struct timespec ts;
            struct tm tm;
            char stamp[64];
            clock_gettime(CLOCK_REALTIME, &ts);
            gmtime_r(&ts.tv_sec, &tm);
            strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
            fprintf(log, "[%s.%06ld +0000] I [MSGID: 122062] [ec.c:336:ec_up] 0-probe-disperse-%d: Going UP : Child UP = 111 Child Notify = 111 \n",
                    stamp, ts.tv_nsec / 1000, i);
            fflush(log);
            send_event(argv[3], i);
        }
        printf("Brick probe:/b0\nStatus: Connected\nNumber of entries: 0\n\n");
        return 0;
    }
    fprintf(stderr, "usage: see the comment at the top of probe.c\n");
    return 2;
}
