note "n" {
}
