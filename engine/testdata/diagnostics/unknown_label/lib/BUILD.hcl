thing "helper" {
  text = "h"
}

thing "other" {
  text = "o"
}
