// Command ${{ values.name }}: ${{ values.description }}
package main

import (
	"context"
	"net/http"

	chassis "github.com/bramblecrate/service-chassis/v3"
)

func main() {
	service := chassis.New("${{ values.name }}",
{%- if "postgres" in values.features %}
		chassis.WithPostgres(),
{%- endif %}
{%- if "kafka-consumer" in values.features %}
		chassis.WithKafkaConsumer("${{ values.name }}"),
{%- endif %}
{%- if "http-client" in values.features %}
		chassis.WithHTTPClient(),
{%- endif %}
	)

	service.Handle("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("hello from ${{ values.name }}\n"))
	})

	service.Run(context.Background())
}
