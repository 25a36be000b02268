/*
 * Stand-in for any privileged program that resolves a name its caller
 * passes (gluster-legacy-kit's attack tests make it setuid root, or give it
 * a file capability): getaddrinfo(argv[1]) and nothing else. It writes
 * nothing itself, so any byte written while it runs came from the shim.
 * The exit code is 0 when the name resolved, 1 when it did not, 2 on bad use.
 */
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>

int
main(int argc, char **argv)
{
    struct addrinfo hints, *res = NULL;

    if (argc != 2)
        return 2;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    if (getaddrinfo(argv[1], NULL, &hints, &res) != 0)
        return 1;
    freeaddrinfo(res);
    return 0;
}
