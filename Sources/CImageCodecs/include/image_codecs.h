/*
 * A small C API over libjpeg-turbo and libspng for facelabel's PoseData module.
 *
 * libjpeg reports fatal errors through an `error_exit` hook whose default calls exit(); here every
 * fatal error is caught inside C (setjmp/longjmp never crosses into Swift) and comes back as a
 * non-zero return value with libjpeg's or libspng's message in `imgc_error`. The functions keep
 * no state between calls and may run on any thread.
 *
 * Ownership: `data` and `rgb` arguments are borrowed. Buffers returned through `out` by the
 * encoders are allocated with malloc and belong to the caller, who frees them with imgc_free.
 * Decoders write into a caller-provided buffer of `out_size` bytes, which must hold
 * width * height * 3 bytes of the size reported by the matching *_info call.
 */
#ifndef FACELABEL_IMAGE_CODECS_H
#define FACELABEL_IMAGE_CODECS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The message of a failed call (NUL-terminated, possibly cut) and, for JPEG decoding, the number
/// of warnings libjpeg raised (corrupt data, premature end of file) on a call that succeeded.
typedef struct {
    int warnings;
    char message[256];
} imgc_error;

typedef struct {
    uint32_t width;          ///< stored width
    uint32_t height;         ///< stored height
    uint32_t output_width;   ///< width after DCT-domain scaling by 1/scale_denom
    uint32_t output_height;  ///< height after DCT-domain scaling by 1/scale_denom
    int components;          ///< colour components in the file (1 gray, 3 YCbCr/RGB, 4 CMYK)
} imgc_jpeg_info;

typedef struct {
    uint32_t width;
    uint32_t height;
    uint8_t bit_depth;
    uint8_t color_type;      ///< PNG colour type: 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA
} imgc_png_info;

/// Reads the JPEG header. `scale_denom` is 1, 2, 4 or 8 (libjpeg-turbo also accepts 1..16).
/// Returns 0 on success.
int imgc_jpeg_read_info(imgc_jpeg_info *info, const uint8_t *data, size_t size, unsigned scale_denom,
                   imgc_error *error);

/// Decodes a JPEG to interleaved RGB8, scaled in the DCT domain by 1/scale_denom. Warnings are
/// counted in error->warnings and the first one is kept in error->message. Returns 0 on success.
int imgc_jpeg_decode_rgb8(uint8_t *out, size_t out_size, const uint8_t *data, size_t size,
                          unsigned scale_denom, imgc_error *error);

/// Encodes interleaved RGB8 as a baseline JPEG (quality 1...100, 4:2:0 chroma subsampling).
int imgc_jpeg_encode_rgb8(uint8_t **out, size_t *out_size, const uint8_t *rgb, uint32_t width,
                          uint32_t height, int quality, imgc_error *error);

/// Reads the PNG header (IHDR). Returns 0 on success.
int imgc_png_read_info(imgc_png_info *info, const uint8_t *data, size_t size, imgc_error *error);

/// Decodes any PNG (1-16 bit, gray, palette, with or without alpha) to RGB8; alpha is dropped and
/// 16-bit samples are reduced to 8 bits. Returns 0 on success.
int imgc_png_decode_rgb8(uint8_t *out, size_t out_size, const uint8_t *data, size_t size,
                         imgc_error *error);

/// Encodes interleaved RGB8 as an 8-bit RGB PNG. Returns 0 on success.
int imgc_png_encode_rgb8(uint8_t **out, size_t *out_size, const uint8_t *rgb, uint32_t width,
                         uint32_t height, imgc_error *error);

/// Frees a buffer returned by an encoder.
void imgc_free(void *buffer);

#ifdef __cplusplus
}
#endif

#endif
