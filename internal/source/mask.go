package source

import "strings"

// bitSet reports whether bit ordinal (1-based, the column_ordinal of
// cdc.captured_columns) is set in an __$update_mask, with the semantics of
// sys.fn_cdc_is_bit_set: ordinal 1 is the lowest bit of the LAST byte, 8 its
// highest, 9 the lowest bit of the byte before it, and so on. An ordinal
// beyond the mask, or below 1, is not set.
func bitSet(mask []byte, ordinal int) bool {
	if ordinal < 1 {
		return false
	}
	i := len(mask) - 1 - (ordinal-1)/8
	if i < 0 {
		return false
	}
	return mask[i]&(1<<uint((ordinal-1)%8)) != 0
}

// legacyLOB reports whether SQL Server leaves an unchanged column NULL in an
// update's after image: text, ntext and image.
func legacyLOB(typ string) bool {
	return typ == "text" || typ == "ntext" || typ == "image"
}

func lower(s string) string { return strings.ToLower(s) }
