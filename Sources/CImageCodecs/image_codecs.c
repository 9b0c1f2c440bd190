#include "image_codecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <spng.h>

static void set_message(imgc_error *error, const char *text) {
    if (error == NULL) return;
    snprintf(error->message, sizeof error->message, "%s", text);
}

/* ---- JPEG ------------------------------------------------------------------------------------ */

/// libjpeg's error manager extended with the jump target and the warning record. One lives on
/// the stack of each call, so nothing is shared between threads.
typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    imgc_error *error;
} jpeg_guard;

static void jpeg_fail(j_common_ptr cinfo) {
    jpeg_guard *guard = (jpeg_guard *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    set_message(guard->error, text);
    longjmp(guard->jump, 1);
}

static void jpeg_note(j_common_ptr cinfo, int level) {
    if (level >= 0) return; /* trace messages */
    jpeg_guard *guard = (jpeg_guard *)cinfo->err;
    if (guard->error == NULL) return;
    if (guard->error->warnings == 0) {
        char text[JMSG_LENGTH_MAX];
        (*cinfo->err->format_message)(cinfo, text);
        set_message(guard->error, text);
    }
    guard->error->warnings += 1;
}

static void jpeg_silence(j_common_ptr cinfo) { (void)cinfo; }

static void jpeg_guard_install(jpeg_guard *guard, imgc_error *error) {
    jpeg_std_error(&guard->base);
    guard->base.error_exit = jpeg_fail;
    guard->base.emit_message = jpeg_note;
    guard->base.output_message = jpeg_silence;
    guard->error = error;
    if (error != NULL) {
        error->warnings = 0;
        error->message[0] = '\0';
    }
}

static int valid_scale(unsigned scale_denom) { return scale_denom >= 1 && scale_denom <= 16; }

/* Reads the header at 1/scale_denom and fills info; with out != NULL also decodes the RGB pixels. */
static int jpeg_decode(imgc_jpeg_info *info, uint8_t *out, size_t out_size, const uint8_t *data, size_t size,
                       unsigned scale_denom, imgc_error *error) {
    if (!valid_scale(scale_denom)) {
        set_message(error, "scale denominator must be 1...16");
        return 1;
    }
    struct jpeg_decompress_struct cinfo;
    jpeg_guard guard;
    jpeg_guard_install(&guard, error);
    cinfo.err = &guard.base;
    if (setjmp(guard.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    /* Four components (CMYK, or YCCK which libjpeg turns into CMYK) are read as CMYK and turned
       into RGB below, as OpenCV's imread does; everything else libjpeg turns into RGB itself. */
    int cmyk = cinfo.num_components == 4;
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    cinfo.scale_num = 1;
    cinfo.scale_denom = scale_denom;
    jpeg_calc_output_dimensions(&cinfo);
    if (info != NULL) {
        info->width = cinfo.image_width;
        info->height = cinfo.image_height;
        info->output_width = cinfo.output_width;
        info->output_height = cinfo.output_height;
        info->components = cinfo.num_components;
    }
    if (out != NULL) {
        jpeg_start_decompress(&cinfo);
        size_t stride = (size_t)cinfo.output_width * 3;
        if (cinfo.output_components != (cmyk ? 4 : 3) || stride * cinfo.output_height > out_size) {
            set_message(error, "output buffer does not match the decoded size");
            jpeg_destroy_decompress(&cinfo);
            return 1;
        }
        /* a CMYK row (4 bytes a pixel) is read into a row of libjpeg's own pool, then converted */
        JSAMPARRAY spare = cmyk ? (*cinfo.mem->alloc_sarray)((j_common_ptr)&cinfo, JPOOL_IMAGE,
                                                             cinfo.output_width * 4, 1) : NULL;
        while (cinfo.output_scanline < cinfo.output_height) {
            JSAMPROW row = out + stride * cinfo.output_scanline;
            if (!cmyk) {
                jpeg_read_scanlines(&cinfo, &row, 1);
                continue;
            }
            JSAMPROW cmyk_row = spare[0];
            jpeg_read_scanlines(&cinfo, &cmyk_row, 1);
            /* OpenCV's icvCvt_CMYK2BGR_8u_C4C3R: each of C, M, Y becomes k - ((255 - v) * k >> 8),
               and C, M, Y are then R, G, B */
            for (JDIMENSION x = 0; x < cinfo.output_width; x++) {
                int k = cmyk_row[4 * x + 3];
                for (int channel = 0; channel < 3; channel++) {
                    row[3 * x + channel] = (uint8_t)(k - (((255 - cmyk_row[4 * x + channel]) * k) >> 8));
                }
            }
        }
        jpeg_finish_decompress(&cinfo);
    }
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

int imgc_jpeg_read_info(imgc_jpeg_info *info, const uint8_t *data, size_t size, unsigned scale_denom,
                        imgc_error *error) {
    return jpeg_decode(info, NULL, 0, data, size, scale_denom, error);
}

int imgc_jpeg_decode_rgb8(uint8_t *out, size_t out_size, const uint8_t *data, size_t size,
                          unsigned scale_denom, imgc_error *error) {
    return jpeg_decode(NULL, out, out_size, data, size, scale_denom, error);
}

int imgc_jpeg_encode_rgb8(uint8_t **out, size_t *out_size, const uint8_t *rgb, uint32_t width,
                          uint32_t height, int quality, imgc_error *error) {
    struct jpeg_compress_struct cinfo;
    jpeg_guard guard;
    /* volatile: these change between setjmp and a possible longjmp. */
    unsigned char *volatile buffer = NULL;
    unsigned long volatile length = 0;
    *out = NULL;
    *out_size = 0;
    jpeg_guard_install(&guard, error);
    cinfo.err = &guard.base;
    if (setjmp(guard.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        return 1;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, (unsigned char **)&buffer, (unsigned long *)&length);
    cinfo.image_width = width;
    cinfo.image_height = height;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality < 1 ? 1 : (quality > 100 ? 100 : quality), TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    size_t stride = (size_t)width * 3;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + stride * cinfo.next_scanline);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *out = buffer;
    *out_size = length;
    return 0;
}

/* ---- PNG ------------------------------------------------------------------------------------- */

/// Chunk limits so that a hostile file cannot make libspng allocate without bound (bytes).
enum { png_chunk_limit = 64 * 1024 * 1024, png_cache_limit = 256 * 1024 * 1024 };

static spng_ctx *png_reader(const uint8_t *data, size_t size, imgc_error *error) {
    spng_ctx *ctx = spng_ctx_new(0);
    if (ctx == NULL) {
        set_message(error, "out of memory");
        return NULL;
    }
    spng_set_chunk_limits(ctx, png_chunk_limit, png_cache_limit);
    spng_set_crc_action(ctx, SPNG_CRC_ERROR, SPNG_CRC_ERROR);
    int status = spng_set_png_buffer(ctx, data, size);
    if (status != 0) {
        set_message(error, spng_strerror(status));
        spng_ctx_free(ctx);
        return NULL;
    }
    return ctx;
}

int imgc_png_read_info(imgc_png_info *info, const uint8_t *data, size_t size, imgc_error *error) {
    if (error != NULL) error->warnings = 0;
    spng_ctx *ctx = png_reader(data, size, error);
    if (ctx == NULL) return 1;
    struct spng_ihdr ihdr;
    int status = spng_get_ihdr(ctx, &ihdr);
    if (status != 0) {
        set_message(error, spng_strerror(status));
        spng_ctx_free(ctx);
        return 1;
    }
    info->width = ihdr.width;
    info->height = ihdr.height;
    info->bit_depth = ihdr.bit_depth;
    info->color_type = ihdr.color_type;
    spng_ctx_free(ctx);
    return 0;
}

int imgc_png_decode_rgb8(uint8_t *out, size_t out_size, const uint8_t *data, size_t size,
                         imgc_error *error) {
    if (error != NULL) error->warnings = 0;
    spng_ctx *ctx = png_reader(data, size, error);
    if (ctx == NULL) return 1;
    size_t needed = 0;
    int status = spng_decoded_image_size(ctx, SPNG_FMT_RGB8, &needed);
    if (status == 0 && needed > out_size) {
        set_message(error, "output buffer does not match the decoded size");
        spng_ctx_free(ctx);
        return 1;
    }
    if (status == 0) status = spng_decode_image(ctx, out, needed, SPNG_FMT_RGB8, 0);
    if (status != 0) {
        set_message(error, spng_strerror(status));
        spng_ctx_free(ctx);
        return 1;
    }
    spng_ctx_free(ctx);
    return 0;
}

int imgc_png_encode_rgb8(uint8_t **out, size_t *out_size, const uint8_t *rgb, uint32_t width,
                         uint32_t height, imgc_error *error) {
    *out = NULL;
    *out_size = 0;
    if (error != NULL) error->warnings = 0;
    spng_ctx *ctx = spng_ctx_new(SPNG_CTX_ENCODER);
    if (ctx == NULL) {
        set_message(error, "out of memory");
        return 1;
    }
    spng_set_option(ctx, SPNG_ENCODE_TO_BUFFER, 1);
    struct spng_ihdr ihdr = {0};
    ihdr.width = width;
    ihdr.height = height;
    ihdr.bit_depth = 8;
    ihdr.color_type = SPNG_COLOR_TYPE_TRUECOLOR;
    int status = spng_set_ihdr(ctx, &ihdr);
    if (status == 0) {
        status = spng_encode_image(ctx, rgb, (size_t)width * height * 3, SPNG_FMT_PNG,
                                   SPNG_ENCODE_FINALIZE);
    }
    if (status != 0) {
        set_message(error, spng_strerror(status));
        spng_ctx_free(ctx);
        return 1;
    }
    size_t length = 0;
    void *buffer = spng_get_png_buffer(ctx, &length, &status);
    spng_ctx_free(ctx);
    if (buffer == NULL || status != 0) {
        set_message(error, status != 0 ? spng_strerror(status) : "no PNG buffer");
        free(buffer);
        return 1;
    }
    *out = buffer;
    *out_size = length;
    return 0;
}

void imgc_free(void *buffer) { free(buffer); }
