module ${{ values.modulePath }}

go 1.23

require github.com/bramblecrate/service-chassis/v3 v3.4.1
