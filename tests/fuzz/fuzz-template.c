/* tests/fuzz/fuzz-template.c — libFuzzer target: Go templates as `ferry
 * inspect --format` takes them (core/inspect/template*.c): lexed, parsed and
 * executed against a fixed inspect value, as skopeo's output would be. The
 * first input byte picks the value (a Docker image with labels and env, or
 * a bare OCI one); the rest is the template. */
#include "fuzz_common.h"

#include <jansson.h>

#include "inspect/inspect.h"

/* image_rich and image_bare, as skopeo 1.9.3 printed them. */
#include "../unit/inspect_images.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static json_t *images[2];
    if (images[0] == NULL) {
        images[0] = json_loads(image_rich, 0, NULL);
        images[1] = json_loads(image_bare, 0, NULL);
        if (images[0] == NULL || images[1] == NULL)
            abort();
    }
    if (size < 1)
        return 0;
    char *tmpl = fuzz_cstring(data + 1, size - 1);
    char err[1024];
    size_t len = 0;
    int failed = 0;
    free(inspect_render_template_partial(tmpl, images[data[0] & 1], &len, &failed, err, sizeof err));
    free(tmpl);
    return 0;
}
