/* tests/unit/test-template-tabwriter.c — text/tabwriter as skopeo's report
 * package uses it (template_tabwriter.c) on its own: minwidth 8, padding 2,
 * space padding, no flags, never flushed. Text stays in the writer until a
 * line without a tab (or a \f) completes the block, and each column of a
 * block is as wide as its widest cell plus the padding. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "template_harness.h"

/* the chunks written, in order; NULL ends them */
typedef struct tw_run {
    const char *const *chunks;
} tw_run;

static void tw_step(template_state *st, void *arg)
{
    const tw_run *run = arg;
    template_tw_add_line(st);
    for (const char *const *c = run->chunks; *c; c++)
        template_tw_write(st, *c, strlen(*c));
}

/* Writes the chunks through a new tabwriter; out must then hold want, and
 * held (when not NULL) the cell text the writer still keeps back (the tabs
 * that ended the cells are not kept). */
static void tw_check(const char *name, const char *const *chunks, const char *want, const char *held)
{
    template_state *st = template_state_new("", 0, NULL);
    tw_run run = {chunks};
    char *err = harness_try(st, tw_step, &run);
    tap_is_str(err ? err : st->tw.out.data ? st->tw.out.data : "", want, name);
    if (held) {
        char label[160];
        snprintf(label, sizeof label, "%s: held back", name);
        tap_is_str(st->tw.buf.data ? st->tw.buf.data : "", held, label);
    }
    free(err);
    template_state_free(st);
}

#define CHUNKS(...) ((const char *const[]){__VA_ARGS__, NULL})

int main(void)
{
    tap_plan(24);
    /* nothing leaves the writer until a line without a tab */
    tw_check("a tab line alone is held", CHUNKS("a\tb\n"), "", "ab");
    tw_check("unterminated text is held", CHUNKS("hello\n", "wor"), "hello\n", "wor");
    tw_check("a tab line, then one without", CHUNKS("a\tb\n", "c\n"), "a       b\nc\n", "");
    tw_check("a last line holding a tab is lost", CHUNKS("x\n", "y\tz"), "x\n", "yz");
    /* widths are known across writes that split a cell */
    tw_check("cells split across writes", CHUNKS("ab", "c\td", "\n", "x\n"), "abc     d\nx\n", NULL);
    tw_check("minwidth 8, counted in runes", CHUNKS("\xc3\xa9\tx\n", "end\n"), "\xc3\xa9       x\nend\n", NULL);
    tw_check("a wide cell widens its column by 2", CHUNKS("abcdefghij\tx\n", "ab\ty\n", "z\n"),
             "abcdefghij  x\nab          y\nz\n", NULL);
    tw_check("an empty last cell after a tab", CHUNKS("a\t\n", "b\n"), "a       \nb\n", NULL);
    tw_check("empty cells are padded too", CHUNKS("\tx\n\t\ty\ne\n"), "        x\n                y\ne\n", NULL);
    /* a column block ends at the first line with no cell in that column */
    tw_check("column blocks", CHUNKS("a\tb\tc\n", "dd\teeeeeeeeeee\tf\n", "g\th\n", "i\tj\tk\n", "end\n"),
             "a       b            c\n"
             "dd      eeeeeeeeeee  f\n"
             "g       h\n"
             "i       j       k\n"
             "end\n",
             NULL);
    /* each flush starts the widths afresh */
    tw_check("blocks apart do not align", CHUNKS("a\tb\nx\n", "longer-cell-text\tc\ny\n"),
             "a       b\nx\nlonger-cell-text  c\ny\n", "");
    /* \f ends the line and flushes even after tabs, and prints as \n */
    tw_check("a form feed flushes", CHUNKS("a\tb\f"), "a       b\n", "");
    /* \v ends a cell like \t does (the difference is only for empty columns) */
    tw_check("a vertical tab ends a cell", CHUNKS("a\vb\nc\n"), "a       b\nc\n", NULL);
    /* between 0xff bytes a tab is text; the escapes are written but not counted */
    tw_check("escaped text", CHUNKS("\xff" "a\tb\xff\tc\n", "z\n"), "\xff" "a\tb\xff     c\nz\n", "");
    tw_check("an escape across writes", CHUNKS("\xff" "a\t", "b\xff\tc\n", "z\n"), "\xff" "a\tb\xff     c\nz\n",
             NULL);
    tw_check("no text, no output", CHUNKS(""), "", "");
    return tap_done();
}
