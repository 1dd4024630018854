// Redis command coverage through walnut (filled in below).
