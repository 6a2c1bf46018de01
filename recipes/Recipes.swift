// Shipped lab images, one file each.
