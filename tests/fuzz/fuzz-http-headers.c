/* tests/fuzz/fuzz-http-headers.c — libFuzzer target: the HTTP response
 * headers a registry sends that the docker transport parses
 * (plugins/docker/). The first input byte picks the header, the rest is its
 * value:
 *   0 WWW-Authenticate challenges (auth.c), one value or several (lines)
 *   1 Link pagination, resolved against the current page and kept on the
 *     registry (repo.c, url.c)
 *   2 Content-Range of a resumed blob download (blob_reader.c)
 *   3 Content-Type's media type (http.c)
 *   4 Location of a redirect or an upload, resolved against the request URL (url.c)
 * The module's sources but module.c are linked in; its services table is
 * the core's. */
#include "fuzz_common.h"

#include "docker.h"

const ferry_services *docker_services(void) { return services_table(); }

static void fuzz_challenges(char *text)
{
    docker_challenge ch[DOCKER_MAX_CHALLENGES];
    size_t n = 0;
    /* Each line is one WWW-Authenticate header of the same response. */
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
        n = docker_challenges_parse_value(line, ch, n, DOCKER_MAX_CHALLENGES);
    if (n > DOCKER_MAX_CHALLENGES)
        abort();
    docker_challenges_free(ch, n);
}

static void fuzz_link(const char *text)
{
    docker_client client;
    memset(&client, 0, sizeof client);
    client.origin = "https://registry.example:5000";
    static const char *const pages[] = {
        "https://registry.example:5000/v2/ns/app/tags/list",
        "https://registry.example:5000/v2/ns/app/tags/list?n=10&last=b",
        "https://registry.example:5000/v2/",
    };
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        char *next = docker_next_page(&client, pages[i], text);
        if (next != NULL && !docker_url_same_origin("https://registry.example:5000/", next))
            abort(); /* a page off the registry would take the credentials elsewhere */
        char *current = strdup(pages[i]);
        if (current == NULL)
            abort();
        free(docker_next_page_advance(current, next));
    }
}

static void fuzz_content_range(const char *text)
{
    uint64_t start = 0;
    (void)docker_content_range_start(text, &start);
}

static void fuzz_content_type(const char *text)
{
    char type[256];
    docker_media_type(text, type, sizeof type);
    if (strlen(type) >= sizeof type)
        abort();
}

static void fuzz_location(const char *text)
{
    char *url = docker_url_resolve("https://registry.example:5000/v2/ns/app/blobs/uploads/?digest=x", text);
    if (url != NULL)
        (void)docker_url_same_origin("https://registry.example:5000/", url);
    free(url);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *text = fuzz_cstring(data + 1, size - 1);
    switch (data[0] % 5) {
    case 0: fuzz_challenges(text); break;
    case 1: fuzz_link(text); break;
    case 2: fuzz_content_range(text); break;
    case 3: fuzz_content_type(text); break;
    case 4: fuzz_location(text); break;
    }
    free(text);
    return 0;
}
