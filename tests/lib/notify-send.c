/* notify-send MESSAGE...: send each MESSAGE as one datagram to the unix
 * socket named by $NOTIFY_SOCKET, as sd_notify(3) does.  Built statically
 * by the tests and run inside a busybox container, which has no tool that
 * speaks SOCK_DGRAM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

int main(int argc, char **argv)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	const char *path = getenv("NOTIFY_SOCKET");
	int fd;

	if (!path || strlen(path) >= sizeof(addr.sun_path)) {
		fputs("notify-send: NOTIFY_SOCKET unset or too long\n", stderr);
		return 2;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("notify-send: socket");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		if (sendto(fd, argv[i], strlen(argv[i]), 0,
			   (struct sockaddr *)&addr, sizeof(addr)) < 0) {
			perror("notify-send: sendto");
			return 1;
		}
	}
	return 0;
}
