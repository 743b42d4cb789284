variable "model" {
  default = "gpt"
}
