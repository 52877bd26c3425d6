package blob

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif"  // registers the GIF decoder
	_ "image/jpeg" // registers the JPEG decoder
	"image/png"
	"io"

	"github.com/balie-dev/balie/internal/desk"
)

// MaxPixels is the largest image Thumbnail decodes. A small file can
// declare a huge canvas (a decompression bomb); the header is checked first.
const MaxPixels = 40_000_000

// ErrNotImage is returned by Thumbnail for data it cannot decode (including
// WebP, which the standard library does not read).
var ErrNotImage = errors.New("blob: not a decodable image")

// Thumbnail decodes a PNG, JPEG or GIF (first frame) and returns it as a PNG
// no larger than maxSide on either side, keeping the aspect ratio, together
// with the original image's width and height. Smaller images keep their
// size. Images over MaxPixels are refused with desk.ErrTooLarge.
func Thumbnail(r io.Reader, maxSide int) (thumb []byte, w, h int, err error) {
	if maxSide < 1 {
		return nil, 0, 0, desk.Invalid("maxSide", "must be positive")
	}
	// DecodeConfig consumes the header; keep it to replay for Decode.
	var head bytes.Buffer
	cfg, _, err := image.DecodeConfig(io.TeeReader(r, &head))
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%w: %v", ErrNotImage, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, 0, 0, ErrNotImage
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, 0, 0, fmt.Errorf("blob: thumbnail: %dx%d pixels: %w", cfg.Width, cfg.Height, desk.ErrTooLarge)
	}
	src, _, err := image.Decode(io.MultiReader(&head, r))
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%w: %v", ErrNotImage, err)
	}
	b := src.Bounds()
	w, h = b.Dx(), b.Dy()
	dw, dh := fit(w, h, maxSide)
	dst := downscale(src, dw, dh)
	var out bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&out, dst); err != nil {
		return nil, 0, 0, fmt.Errorf("blob: thumbnail: encode: %w", err)
	}
	return out.Bytes(), w, h, nil
}

// fit scales (w, h) down so that neither side exceeds max.
func fit(w, h, max int) (int, int) {
	if w <= max && h <= max {
		return w, h
	}
	if w >= h {
		return max, clampMin1((h*max + w/2) / w)
	}
	return clampMin1((w*max + h/2) / h), max
}

func clampMin1(n int) int {
	if n < 1 {
		return 1
	}
	return n
}

// downscale is a box filter: each destination pixel is the average of the
// source pixels that map onto it. Colours are averaged premultiplied, so
// transparent pixels do not darken edges.
func downscale(src image.Image, dw, dh int) *image.NRGBA {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	type acc struct{ r, g, b, a, n uint64 }
	sums := make([]acc, dw*dh)
	// Precompute the destination column of each source column.
	col := make([]int, sw)
	for x := range col {
		col[x] = x * dw / sw
	}
	fast, _ := src.(image.RGBA64Image)
	for y := 0; y < sh; y++ {
		row := sums[(y*dh/sh)*dw:]
		for x := 0; x < sw; x++ {
			var c color.RGBA64
			if fast != nil {
				c = fast.RGBA64At(b.Min.X+x, b.Min.Y+y)
			} else {
				r, g, bb, a := src.At(b.Min.X+x, b.Min.Y+y).RGBA()
				c = color.RGBA64{uint16(r), uint16(g), uint16(bb), uint16(a)}
			}
			s := &row[col[x]]
			s.r += uint64(c.R)
			s.g += uint64(c.G)
			s.b += uint64(c.B)
			s.a += uint64(c.A)
			s.n++
		}
	}
	dst := image.NewNRGBA(image.Rect(0, 0, dw, dh))
	for i, s := range sums {
		if s.n == 0 || s.a == 0 {
			continue // fully transparent stays zero
		}
		// Un-premultiply: colour sums are premultiplied by alpha.
		p := dst.Pix[i*4 : i*4+4 : i*4+4]
		p[0] = uint8((s.r * 0xff / s.a))
		p[1] = uint8((s.g * 0xff / s.a))
		p[2] = uint8((s.b * 0xff / s.a))
		p[3] = uint8(s.a / s.n >> 8)
	}
	return dst
}
