/*
 * Legacy resolver layer, for tests only (gluster-legacy-kit).
 *
 * glibc 2.36 refuses names with '/' inside getaddrinfo() before any DNS
 * query; glibc 2.17 (CentOS 7) sends them to DNS, and that is the heal-info
 * stall. Preloaded below libgfresolv.so, this library makes the machine's
 * glibc behave like 2.17 for such names. Every other name goes to the real
 * functions untouched.
 *
 * What it models is 2.17's own code, checked query for query against a
 * glibc 2.17 built from source (tests/tests/glibc217.rs):
 * - the search (resolv/res_query.c, __libc_res_nsearch): a name with at
 *   least `ndots` dots is asked as is first; then, with RES_DNSRCH, under
 *   the first domain of the search list, and a timeout there ends the
 *   search (TRY_AGAIN without SERVFAIL is "done"). With no `search` or
 *   `domain` line and a hostname without a dot, 2.17's list is one empty
 *   domain, so the name is asked a second time as "NAME." (2.36 leaves the
 *   list empty: that rule is 2.17's, kept here);
 * - each asking (resolv/res_send.c, send_dg): for AF_UNSPEC the A and the
 *   AAAA query go out together on one socket (sendmmsg), and the resolver
 *   waits `timeout` seconds for the answers (`retrans << ns`, divided by
 *   the number of servers after the first), `attempts` times over every
 *   server, each try sending both again;
 * - the result (sysdeps/posix/getaddrinfo.c): every try timed out, so
 *   getaddrinfo returns EAI_SYSTEM with errno ETIMEDOUT, as 2.17 does.
 * A server that answers ends that asking, and the search goes on as 2.17's
 * does for a name not found; answers are never parsed (a name with '/' has
 * no address), and the result then is EAI_NONAME. IPv4 nameservers only;
 * `options single-request` is not modelled.
 */
#define _GNU_SOURCE
#include <arpa/nameser.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <resolv.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* How one search ended. */
enum outcome { TIMED_OUT, ANSWERED };

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * One try at one server, as send_dg: every query sent at once, then up to
 * `seconds` for the answers. ANSWERED when each query got an answer.
 */
static enum outcome
send_dg(const struct sockaddr_in *ns, unsigned char q[][NS_PACKETSZ],
        const int *qlen, int nq, int seconds)
{
    int got[2] = {0, 0};
    int ngot = 0;
    double finish = now() + seconds;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return TIMED_OUT;
    if (connect(fd, (const struct sockaddr *)ns, sizeof(*ns)) < 0) {
        close(fd);
        return TIMED_OUT;
    }
    for (int i = 0; i < nq; i++)
        send(fd, q[i], qlen[i], MSG_NOSIGNAL);
    while (ngot < nq) {
        double left = finish - now();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        unsigned char ans[NS_PACKETSZ];
        ssize_t n;

        if (left <= 0)
            break;
        if (poll(&p, 1, (int)(left * 1000) + 1) <= 0) {
            if (errno == EINTR)
                continue;
            continue;
        }
        n = recv(fd, ans, sizeof(ans), 0);
        if (n < 12)
            continue;
        for (int i = 0; i < nq; i++) {
            if (!got[i] && ans[0] == q[i][0] && ans[1] == q[i][1]) {
                got[i] = 1;
                ngot++;
            }
        }
    }
    close(fd);
    return ngot == nq ? ANSWERED : TIMED_OUT;
}

/*
 * One asking of NAME (under DOMAIN when not NULL) for the query types,
 * as __libc_res_nquerydomain then __libc_res_nsend: `attempts` tries over
 * every server.
 */
static enum outcome
ask(const char *name, const char *domain, const int *types, int ntypes)
{
    char full[NS_MAXDNAME];
    unsigned char q[2][NS_PACKETSZ];
    int qlen[2];
    int nscount = _res.nscount > 0 ? _res.nscount : 1;
    struct sockaddr_in loopback = {
        .sin_family = AF_INET,
        .sin_port = htons(NS_DEFAULTPORT),
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
    };

    if (domain)
        snprintf(full, sizeof(full), "%s.%s", name, domain);
    else
        snprintf(full, sizeof(full), "%s", name);
    for (int i = 0; i < ntypes; i++) {
        qlen[i] = res_mkquery(ns_o_query, full, ns_c_in, types[i], NULL, 0,
                              NULL, q[i], sizeof(q[i]));
        if (qlen[i] < 0)
            return TIMED_OUT;
    }
    for (int try = 0; try < (_res.retry > 0 ? _res.retry : 1); try++) {
        for (int ns = 0; ns < nscount; ns++) {
            const struct sockaddr_in *addr =
                _res.nscount > 0 ? &_res.nsaddr_list[ns] : &loopback;
            int seconds = _res.retrans << ns;

            if (ns > 0)
                seconds /= nscount;
            if (seconds <= 0)
                seconds = 1;
            if (addr->sin_family != AF_INET)
                continue;
            if (send_dg(addr, q, qlen, ntypes, seconds) == ANSWERED)
                return ANSWERED;
        }
    }
    return TIMED_OUT;
}

/*
 * 2.17's __libc_res_nsearch for a name with no address: TIMED_OUT when
 * the search ended on a timeout, ANSWERED when every asking was answered
 * (not found).
 */
static enum outcome
search(const char *name, const int *types, int ntypes)
{
    unsigned dots = 0;
    size_t len = strlen(name);
    int trailing_dot = len > 0 && name[len - 1] == '.';
    int tried_as_is = 0, root_on_list = 0, searched = 0;
    enum outcome last = ANSWERED;

    if (!(_res.options & RES_INIT))
        res_init();
    for (const char *c = name; *c; c++)
        dots += *c == '.';
    if (dots >= _res.ndots || trailing_dot) {
        last = ask(name, NULL, types, ntypes);
        if (trailing_dot)
            return last;
        tried_as_is = 1;
    }
    if ((!dots && (_res.options & RES_DEFNAMES)) ||
        (dots && !trailing_dot && (_res.options & RES_DNSRCH))) {
        /* 2.17's list: resolv.conf's, else the hostname's domain, else
         * one empty domain; 2.36 has already taken the first two. */
        static const char *const empty[] = {"", NULL};
        const char *const *list =
            _res.dnsrch[0] ? (const char *const *)_res.dnsrch : empty;

        for (const char *const *d = list; *d; d++) {
            searched = 1;
            if ((*d)[0] == '\0' || ((*d)[0] == '.' && (*d)[1] == '\0'))
                root_on_list = 1;
            last = ask(name, *d, types, ntypes);
            /* A timeout is TRY_AGAIN without SERVFAIL: "done". */
            if (last == TIMED_OUT || !(_res.options & RES_DNSRCH))
                break;
        }
    }
    if ((dots || !searched || !(_res.options & RES_NOTLDQUERY)) &&
        !(tried_as_is || root_on_list))
        last = ask(name, NULL, types, ntypes);
    return last;
}

static enum outcome
search_family(const char *name, int family)
{
    int types[2], n = 0;

    if (family != AF_INET6)
        types[n++] = ns_t_a;
    if (family != AF_INET)
        types[n++] = ns_t_aaaa;
    return search(name, types, n);
}

static int
is_path(const char *name)
{
    return name && strchr(name, '/');
}

int
getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
            struct addrinfo **res)
{
    int (*real)(const char *, const char *, const struct addrinfo *,
                struct addrinfo **) = dlsym(RTLD_NEXT, "getaddrinfo");

    if (is_path(node) && !(hints && (hints->ai_flags & AI_NUMERICHOST))) {
        if (search_family(node, hints ? hints->ai_family : AF_UNSPEC) == TIMED_OUT) {
            errno = ETIMEDOUT;
            return EAI_SYSTEM;
        }
        return EAI_NONAME;
    }
    return real(node, service, hints, res);
}

/* The gethostbyname family: one query type, the same search. */
static int
herrno_of(enum outcome o)
{
    return o == TIMED_OUT ? TRY_AGAIN : HOST_NOT_FOUND;
}

struct hostent *
gethostbyname2(const char *name, int af)
{
    struct hostent *(*real)(const char *, int) = dlsym(RTLD_NEXT, "gethostbyname2");

    if (is_path(name)) {
        h_errno = herrno_of(search_family(name, af == AF_INET6 ? AF_INET6 : AF_INET));
        return NULL;
    }
    return real(name, af);
}

struct hostent *
gethostbyname(const char *name)
{
    struct hostent *(*real)(const char *) = dlsym(RTLD_NEXT, "gethostbyname");

    if (is_path(name)) {
        h_errno = herrno_of(search_family(name, AF_INET));
        return NULL;
    }
    return real(name);
}

int
gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf,
                 size_t buflen, struct hostent **result, int *h_errnop)
{
    int (*real)(const char *, int, struct hostent *, char *, size_t,
                struct hostent **, int *) = dlsym(RTLD_NEXT, "gethostbyname2_r");

    if (is_path(name)) {
        *h_errnop = herrno_of(search_family(name, af == AF_INET6 ? AF_INET6 : AF_INET));
        *result = NULL;
        return *h_errnop == TRY_AGAIN ? EAGAIN : 0;
    }
    return real(name, af, ret, buf, buflen, result, h_errnop);
}

int
gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t buflen,
                struct hostent **result, int *h_errnop)
{
    int (*real)(const char *, struct hostent *, char *, size_t,
                struct hostent **, int *) = dlsym(RTLD_NEXT, "gethostbyname_r");

    if (is_path(name)) {
        *h_errnop = herrno_of(search_family(name, AF_INET));
        *result = NULL;
        return *h_errnop == TRY_AGAIN ? EAGAIN : 0;
    }
    return real(name, ret, buf, buflen, result, h_errnop);
}
