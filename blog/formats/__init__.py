"""Pure serializers over plain values: front matter, feeds, sitemaps, JSON-LD.

The edge gathers the data (absolute URLs included) and hands it over; these only write.
"""
