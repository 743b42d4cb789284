package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// Digest is the lowercase hex SHA-256 of content. Blobs are stored under the
// digest of their bytes, action entries under the digest of their key
// description, so both kinds of name have the same shape.
type Digest string

// Sum returns the digest of data.
func Sum(data []byte) Digest {
	h := sha256.Sum256(data)
	return Digest(hex.EncodeToString(h[:]))
}

// ErrInvalidDigest is returned for a digest that is not 64 lowercase hex
// digits. Digests become parts of Badger keys, so a stray "/" or an empty
// string would silently address the wrong records; they are refused instead.
var ErrInvalidDigest = errors.New("invalid digest")

// Valid reports whether d has the form Sum produces.
func (d Digest) Valid() bool {
	if len(d) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(d); i++ {
		c := d[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func (d Digest) check() error {
	if !d.Valid() {
		return fmt.Errorf("%w: %q", ErrInvalidDigest, string(d))
	}
	return nil
}
