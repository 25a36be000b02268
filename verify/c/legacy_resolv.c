/*
 * Legacy resolver layer, for tests only (gluster-legacy-kit).
 *
 * glibc 2.36 refuses names with '/' inside getaddrinfo() before any DNS
 * query; glibc 2.17 (CentOS 7) sends them to DNS, and that is the heal-info
 * stall. Preloaded below libgfresolv.so, this library makes the machine's
 * glibc behave like 2.17 for such names: it asks DNS through res_query()
 * (A, then AAAA for AF_UNSPEC) and fails the way a timed-out lookup does.
 * Every other name goes to the real functions untouched.
 */
#define _GNU_SOURCE
#include <arpa/nameser.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <string.h>
#include <sys/socket.h>

static void
ask_dns(const char *name, int family)
{
    unsigned char answer[512];

    if (family != AF_INET6)
        res_query(name, ns_c_in, ns_t_a, answer, sizeof(answer));
    if (family != AF_INET)
        res_query(name, ns_c_in, ns_t_aaaa, answer, sizeof(answer));
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

    if (is_path(node)) {
        ask_dns(node, hints ? hints->ai_family : AF_UNSPEC);
        return EAI_AGAIN;
    }
    return real(node, service, hints, res);
}

struct hostent *
gethostbyname2(const char *name, int af)
{
    struct hostent *(*real)(const char *, int) = dlsym(RTLD_NEXT, "gethostbyname2");

    if (is_path(name)) {
        ask_dns(name, af);
        h_errno = TRY_AGAIN;
        return NULL;
    }
    return real(name, af);
}

struct hostent *
gethostbyname(const char *name)
{
    struct hostent *(*real)(const char *) = dlsym(RTLD_NEXT, "gethostbyname");

    if (is_path(name)) {
        ask_dns(name, AF_INET);
        h_errno = TRY_AGAIN;
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
        ask_dns(name, af);
        *result = NULL;
        *h_errnop = TRY_AGAIN;
        return EAGAIN;
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
        ask_dns(name, AF_INET);
        *result = NULL;
        *h_errnop = TRY_AGAIN;
        return EAGAIN;
    }
    return real(name, ret, buf, buflen, result, h_errnop);
}
