/* core/inspect/template_tabwriter.c — text/tabwriter (minwidth 8, padding
 * 2, space padding, no flags) as skopeo's report package writes inspect
 * --format output through it: cells aligned per column block, and, because
 * skopeo never flushes, text held back until a line without a tab ends. */
#include "inspect/template_internal.h"

#include <stdlib.h>
#include <string.h>

/* Returns arr with room for one more element, realloc'd when full (not the
 * arena: the tabwriter's arrays are reset and reused line after line). */
static void *template_grow(template_state *st, void *arr, size_t n, size_t *cap, size_t elem)
{
    if (n < *cap)
        return arr;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *a = realloc(arr, ncap * elem);
    if (a == NULL)
        template_fail(st, "out of memory");
    *cap = ncap;
    return a;
}

void template_tw_add_line(template_state *st)
{
    template_tabwriter *tw = &st->tw;
    tw->lines = template_grow(st, tw->lines, tw->n_lines, &tw->cap_lines, sizeof *tw->lines);
    tw->lines[tw->n_lines++] = (template_line){NULL, 0, 0};
}

static void template_tw_update_width(template_tabwriter *tw)
{
    tw->cell.width += template_rune_count(tw->buf.data + tw->pos, tw->buf.len - tw->pos);
    tw->pos = tw->buf.len;
}

static size_t template_tw_terminate_cell(template_state *st, int htab)
{
    template_tabwriter *tw = &st->tw;
    tw->cell.htab = htab;
    template_line *line = &tw->lines[tw->n_lines - 1];
    line->cells = template_grow(st, line->cells, line->n, &line->cap, sizeof *line->cells);
    line->cells[line->n++] = tw->cell;
    memset(&tw->cell, 0, sizeof tw->cell);
    return line->n;
}

static size_t template_tw_write_lines(template_state *st, size_t pos, size_t line0, size_t line1)
{
    template_tabwriter *tw = &st->tw;
    for (size_t i = line0; i < line1; i++) {
        template_line *line = &tw->lines[i];
        for (size_t j = 0; j < line->n; j++) {
            template_cell *c = &line->cells[j];
            if (c->size > 0) {
                strbuf_append(&tw->out, tw->buf.data + pos, c->size);
                pos += c->size;
            }
            if (j < tw->n_widths)
                for (size_t k = c->width; k < tw->widths[j]; k++)
                    strbuf_append(&tw->out, " ", 1);
        }
        if (i + 1 == tw->n_lines) {
            strbuf_append(&tw->out, tw->buf.data + pos, tw->cell.size);
            pos += tw->cell.size;
        } else {
            strbuf_append(&tw->out, "\n", 1);
        }
    }
    return pos;
}

static void template_tw_push_width(template_state *st, size_t w)
{
    template_tabwriter *tw = &st->tw;
    tw->widths = template_grow(st, tw->widths, tw->n_widths, &tw->cap_widths, sizeof *tw->widths);
    tw->widths[tw->n_widths++] = w;
}

/* tabwriter's format: column blocks, widened to their widest cell */
static size_t template_tw_format(template_state *st, size_t pos, size_t line0, size_t line1)
{
    template_tabwriter *tw = &st->tw;
    size_t column = tw->n_widths;
    for (size_t this = line0; this < line1; this++) {
        if (column + 1 >= tw->lines[this].n)
            continue;
        pos = template_tw_write_lines(st, pos, line0, this);
        line0 = this;
        size_t width = 8; /* minwidth */
        for (; this < line1; this++) {
            template_line *line = &tw->lines[this];
            if (column + 1 >= line->n)
                break;
            size_t w = line->cells[column].width + 2; /* padding */
            if (w > width)
                width = w;
        }
        template_tw_push_width(st, width);
        pos = template_tw_format(st, pos, line0, this);
        tw->n_widths--;
        line0 = this;
    }
    return template_tw_write_lines(st, pos, line0, line1);
}

static void template_tw_flush(template_state *st)
{
    template_tabwriter *tw = &st->tw;
    if (tw->cell.size > 0) {
        if (tw->escaped) {
            template_tw_update_width(tw);
            tw->escaped = 0;
        }
        template_tw_terminate_cell(st, 0);
    }
    template_tw_format(st, 0, 0, tw->n_lines);
    /* reset */
    tw->buf.len = 0;
    if (tw->buf.data)
        tw->buf.data[0] = '\0';
    tw->pos = 0;
    memset(&tw->cell, 0, sizeof tw->cell);
    tw->escaped = 0;
    for (size_t i = 0; i < tw->n_lines; i++)
        free(tw->lines[i].cells);
    tw->n_lines = 0;
    tw->n_widths = 0;
    template_tw_add_line(st);
}

static void template_tw_append(template_state *st, const char *s, size_t n)
{
    strbuf_append(&st->tw.buf, s, n);
    st->tw.cell.size += n;
}

/* tabwriter.Writer.Write */
void template_tw_write(template_state *st, const char *s, size_t n)
{
    template_tabwriter *tw = &st->tw;
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!tw->escaped) {
            if (c == '\t' || c == '\v' || c == '\n' || c == '\f') {
                template_tw_append(st, s + start, i - start);
                template_tw_update_width(tw);
                start = i + 1;
                size_t ncells = template_tw_terminate_cell(st, c == '\t');
                if (c == '\n' || c == '\f') {
                    template_tw_add_line(st);
                    if (c == '\f' || ncells == 1)
                        template_tw_flush(st);
                }
            } else if (c == 0xff) {
                template_tw_append(st, s + start, i - start);
                template_tw_update_width(tw);
                start = i;
                tw->escaped = 1;
            }
        } else if (c == 0xff) {
            template_tw_append(st, s + start, i + 1 - start);
            start = i + 1;
            template_tw_update_width(tw);
            tw->cell.width -= 2; /* the Escape bytes do not count */
            tw->escaped = 0;
        }
    }
    template_tw_append(st, s + start, n - start);
    if (tw->buf.failed || tw->out.failed)
        template_fail(st, "out of memory");
}
