"""The scale-out proof: many processes, one database, load, redelivery, kill -9."""
